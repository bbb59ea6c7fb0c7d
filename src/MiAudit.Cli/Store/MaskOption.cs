using System.CommandLine;
using MiAudit.Detection.Masking;
using MiAudit.Storage;

namespace MiAudit.Cli.Store;

/// <summary><c>--mask</c> of the commands that read the store: one policy over everything they print or write.</summary>
internal static class MaskOption
{
    public static Option<bool> Create() => new("--mask")
    {
        Description = "Mask the device's identifiers everywhere (values, URLs, headers, bodies, and encoded or hashed forms of them): 8612*******0125",
    };

    public static MaskingPolicy Policy(bool mask, IAuditStore store) => mask ? store.StoredMasking() : MaskingPolicy.None;
}
