using System.Data.Common;
using MiAudit.Detection.Loading;
using MiAudit.Detection.Masking;
using MiAudit.Detection.Profiles;
using MiAudit.Storage.Reading;

namespace MiAudit.Storage.Export;

/// <summary>
/// The masking policy of a database, and its application to what the database reads out: every writer (CSV, JSON
/// Lines, HAR, the findings table, the report) gets rows that are already masked, so a new format cannot forget it.
/// </summary>
public static class StoredMasking
{
    /// <summary>
    /// What is masked: every session's device profile and every identifier a finding holds (detection also recognises
    /// identifiers by their shape, without a profile), in the whole database, whatever an export selects.
    /// </summary>
    public static MaskingPolicy For(DbConnection connection)
    {
        var identifiers = new List<(string Field, string Value)>();
        foreach (var session in new SessionStore(connection).List())
        {
            if (session.DeviceProfile is { } text)
            {
                identifiers.AddRange(ProfileIdentifiers(text));
            }
        }

        using var command = connection.CreateCommand();
        command.CommandText = "SELECT DISTINCT value FROM findings WHERE category IN ('device-id', 'account');";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            identifiers.Add(("value", reader.GetString(0)));
        }

        return MaskingPolicy.For(identifiers);
    }

    public static FindingRow Apply(this MaskingPolicy policy, FindingRow row) => !policy.Enabled ? row : row with
    {
        Url = policy.Text(row.Url),
        Value = policy.Value(row.Category, row.Value),
        Snippet = policy.Text(row.Snippet),
    };

    public static FlowSummary Apply(this MaskingPolicy policy, FlowSummary summary) => !policy.Enabled ? summary : summary with
    {
        Url = policy.Text(summary.Url),
    };

    public static StoredFlow Apply(this MaskingPolicy policy, StoredFlow stored) => !policy.Enabled ? stored : stored with
    {
        Flow = policy.Flow(stored.Flow),
        Findings = stored.Findings.Select(f => f with { Value = policy.Value(f.Category, f.Value), Snippet = policy.Text(f.Snippet) }).ToList(),
    };

    private static IEnumerable<(string, string)> ProfileIdentifiers(string stored)
    {
        try
        {
            return DeviceProfile.Parse(stored, "the stored device profile").Identifiers.Select(i => (i.Field, i.Value));
        }
        catch (ConfigurationFileException)
        {
            // Written by another MiAudit version: every word of it that could be an identifier is masked.
            return stored.Split([' ', '\n', '\r', '\t', '"', '\'', ':', ',', '{', '}', '[', ']'], StringSplitOptions.RemoveEmptyEntries)
                .Select(word => ("value", word));
        }
    }
}
