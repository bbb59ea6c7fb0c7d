using System.Text;
using MiAudit.Detection.Decoding;
using MiAudit.Flows;

namespace MiAudit.Ui.Search;

/// <summary>What a flow's request holds, as one text: its line, its headers and every decoded value.</summary>
internal static class SearchText
{
    public static string Of(Flow flow, int max)
    {
        var text = new StringBuilder(1024);
        text.Append(flow.Method).Append(' ').Append(flow.Url).Append('\n');
        foreach (var header in flow.RequestHeaders)
        {
            text.Append(header.Name).Append(": ").Append(header.Value).Append('\n');
        }

        foreach (var leaf in RequestDecoder.Decode(flow).Leaves)
        {
            if (text.Length >= max)
            {
                break;
            }

            text.Append(leaf.Text).Append('\n');
        }

        return text.Length > max ? text.ToString(0, max) : text.ToString();
    }
}
