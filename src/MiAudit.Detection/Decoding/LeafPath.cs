using System.Globalization;

namespace MiAudit.Detection.Decoding;

/// <summary>
/// Where a decoded value was found and how it was decoded, as an immutable chain of steps:
/// a location (<c>body</c>, <c>query[data]</c>), fields (<c>.form[data_list]</c>, <c>[0]</c>, <c>.properties</c>)
/// and transforms (<c>base64</c>, <c>gzip</c>, <c>json</c>). Rendered for people as
/// <c>body.form[data_list] → base64 → gzip → json[0].properties.$url</c>.
/// </summary>
/// <remarks>
/// A request has hundreds of steps and only the few behind a finding are ever shown, so a step keeps its parts and
/// renders its text on the first <see cref="ToString"/>.
/// </remarks>
public sealed class LeafPath
{
    private readonly LeafPath? _parent;
    private readonly LeafPath _root;
    private readonly StepKind _kind;
    private readonly string _step;    // the location, the transform, or the field's name
    private readonly string? _extra;  // the location's entry (query[name]), or the container of an entry (.form[name])
    private readonly int _index;
    private string? _text;

    private LeafPath(LeafPath? parent, StepKind kind, string step, string? extra = null, int index = 0)
    {
        _parent = parent;
        _root = parent?._root ?? this;
        _kind = kind;
        _step = step;
        _extra = extra;
        _index = index;
        TransformCount = (parent?.TransformCount ?? 0) + (kind == StepKind.Transform ? 1 : 0);
        FieldName = kind switch
        {
            StepKind.Location => extra,
            StepKind.Member or StepKind.Entry or StepKind.Bracket or StepKind.FieldNumber => step,
            _ => parent?.FieldName,
        };
    }

    private enum StepKind : byte
    {
        Location,
        Member,
        Entry,
        Bracket,
        Index,
        FieldNumber,
        Transform,
    }

    /// <summary>The path one step up (a field's object, a transform's input); null at a location.</summary>
    public LeafPath? Parent => _parent;

    /// <summary>How many decoding steps led here.</summary>
    public int TransformCount { get; }

    /// <summary>The innermost named field (a JSON key, form or query name, header name), used to read identifier-named fields.</summary>
    public string? FieldName { get; }

    /// <summary>The top-level location as rendered: <c>body</c>, <c>query[data]</c>, <c>header[User-Agent]</c>.</summary>
    public string Location => _root.ToString();

    /// <summary>The kind of the top-level location: <c>path</c>, <c>query</c>, <c>header</c>, <c>cookie</c>, <c>body</c> or <c>ws</c>.</summary>
    public string LocationKind => _root._step;

    /// <summary>The top-level location's name (the header, query parameter or cookie); null for <c>body</c>, <c>path</c>, <c>ws</c>.</summary>
    public string? LocationName => _root._extra;

    public static LeafPath Root(string location, string? name = null) => new(null, StepKind.Location, location, name);

    /// <summary>A named member: rendered <c>.name</c>, or <c>[name]</c> for names that would not read as a dotted path.</summary>
    public LeafPath Member(string name) => new(this, StepKind.Member, name);

    /// <summary>A named entry of a container, rendered <c>.container[name]</c> (form fields, multipart parts, cookies).</summary>
    public LeafPath Entry(string container, string name) => new(this, StepKind.Entry, name, container);

    /// <summary>A named entry right after a transform or location, rendered <c>[name]</c> (<c>→ form[a]</c>).</summary>
    public LeafPath Bracket(string name) => new(this, StepKind.Bracket, name);

    public LeafPath Index(int index) => new(this, StepKind.Index, "", index: index);

    /// <summary>A protobuf field by its number, rendered <c>.#46</c> (its name is the number).</summary>
    public LeafPath FieldNumber(int number) => new(this, StepKind.FieldNumber, number.ToString(CultureInfo.InvariantCulture));

    public LeafPath Transform(string name) => new(this, StepKind.Transform, name);

    /// <summary>
    /// The named fields inside the innermost JSON or protobuf document the value sits in, indexes left out:
    /// <c>properties.$url</c> for <c>… → json[0].properties.$url → base64</c>, <c>1.46</c> for <c>… → protobuf.#1[0].#46</c>;
    /// null outside such a document. SDK payload layouts name their fields this way.
    /// </summary>
    public string? DocumentField
    {
        get
        {
            var names = new List<string>();
            for (var step = this; step is not null; step = step._parent)
            {
                switch (step._kind)
                {
                    case StepKind.Transform when step._step is "json" or "protobuf":
                        names.Reverse();
                        return names.Count == 0 ? null : string.Join('.', names);
                    case StepKind.Transform:
                        names.Clear(); // fields met so far were inside a value decoded further
                        break;
                    case StepKind.Member or StepKind.Entry or StepKind.Bracket or StepKind.FieldNumber:
                        names.Add(step._step);
                        break;
                    case StepKind.Location:
                        return null;
                }
            }

            return null;
        }
    }

    /// <summary>The transforms in the order they were applied.</summary>
    public IReadOnlyList<string> Transforms
    {
        get
        {
            if (TransformCount == 0)
            {
                return [];
            }

            var transforms = new string[TransformCount];
            var next = transforms.Length;
            for (var step = this; step is not null; step = step._parent)
            {
                if (step._kind == StepKind.Transform)
                {
                    transforms[--next] = step._step;
                }
            }

            return transforms;
        }
    }

    // Built from the parent's text, which is cached too: siblings share their prefix, and no stack is needed.
    public override string ToString() => _text ??= _kind switch
    {
        StepKind.Location => _extra is null ? _step : $"{_step}[{_extra}]",
        StepKind.Member when NeedsBrackets(_step) => $"{_parent}[{_step}]",
        StepKind.Member => $"{_parent}.{_step}",
        StepKind.Entry => $"{_parent}.{_extra}[{_step}]",
        StepKind.Bracket => $"{_parent}[{_step}]",
        StepKind.Index => $"{_parent}[{_index}]",
        StepKind.FieldNumber => $"{_parent}.#{_step}",
        _ => $"{_parent} → {_step}",
    };

    private static bool NeedsBrackets(string name) =>
        name.Length == 0 || name.AsSpan().ContainsAny(" .[]→\"'") || char.IsDigit(name[0]);
}
