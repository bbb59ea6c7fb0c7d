namespace MiAudit.Detection.Decoding.Decoders;

/// <summary>A JSON document (object or array): each member a leaf, named by its path.</summary>
internal sealed class JsonDecoder : ITextDecoder
{
    public string Name => "json";

    public DecoderCost Cost => DecoderCost.Allocating;

    public bool Recognises(ReadOnlySpan<char> text) => TextSniffing.LooksLikeJson(text);

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander) =>
        expander.Json(text, utf8, path) ? Decoded.Whole : Decoded.No;
}

/// <summary>XML or HTML: the text and attribute values.</summary>
internal sealed class MarkupDecoder : ITextDecoder
{
    public string Name => "xml";

    public DecoderCost Cost => DecoderCost.Linear;

    public bool Recognises(ReadOnlySpan<char> text) => MarkupText.LooksLikeMarkup(text);

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        var markupPath = path.Transform(Name);
        var i = 0;
        foreach (var value in MarkupText.Values(text))
        {
            expander.Text(value, markupPath.Index(i++));
        }

        return i > 0 ? Decoded.Whole : Decoded.Claimed;
    }
}

/// <summary><c>a=1&amp;b=2</c>: each parameter a leaf.</summary>
internal sealed class FormDecoder : ITextDecoder
{
    public string Name => "form";

    public DecoderCost Cost => DecoderCost.Linear;

    public bool Recognises(ReadOnlySpan<char> text) => FormEncoding.LooksLikeForm(text);

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        var formPath = path.Transform(Name);
        foreach (var (name, value) in FormEncoding.Parse(text))
        {
            expander.Text(value, formPath.Bracket(name));
        }

        return Decoded.Whole;
    }
}

/// <summary>An absolute URL with a query: the URL stays a value of its own (it may be a visited page), its parameters are read too.</summary>
internal sealed class UrlQueryDecoder : ITextDecoder
{
    public string Name => "url";

    public DecoderCost Cost => DecoderCost.Linear;

    public bool Recognises(ReadOnlySpan<char> text) =>
        (text.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        && text.IndexOf('?') is var query && query > 0 && query < text.Length - 1 && !text.Contains(' ');

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        var urlPath = path.Transform(Name);
        foreach (var (name, value) in FormEncoding.Parse(text.AsSpan(text.IndexOf('?') + 1)))
        {
            expander.Text(value, urlPath.Entry("query", name));
        }

        return Decoded.Partly;
    }
}

/// <summary>Percent-escapes (<c>%7B%22imei%22…</c>).</summary>
internal sealed class PercentDecoder : ITextDecoder
{
    public string Name => "urldecode";

    public DecoderCost Cost => DecoderCost.Linear;

    public bool Recognises(ReadOnlySpan<char> text) => TextSniffing.HasPercentEscape(text);

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        if (!expander.Spend(text.Length))
        {
            return Decoded.No;
        }

        var decoded = FormEncoding.DecodePercent(text);
        if (decoded == text)
        {
            return Decoded.No;
        }

        expander.Text(decoded, path.Transform(Name));
        return Decoded.Whole;
    }
}

/// <summary>HTML entities (<c>&amp;quot;</c>, <c>&amp;#64;</c>).</summary>
internal sealed class HtmlEntityDecoder : ITextDecoder
{
    public string Name => "html-entities";

    public DecoderCost Cost => DecoderCost.Linear;

    public bool Recognises(ReadOnlySpan<char> text) => TextSniffing.HasHtmlEntity(text);

    public Decoded Decode(string text, ReadOnlyMemory<byte> utf8, LeafPath path, LeafExpander expander)
    {
        var decoded = System.Net.WebUtility.HtmlDecode(text);
        if (decoded == text)
        {
            return Decoded.No;
        }

        expander.Text(decoded, path.Transform(Name));
        return Decoded.Whole;
    }
}
