namespace MiAudit.Detection.Decoding;

/// <summary>
/// Where a decoded value was found and how it was decoded, as an immutable chain of steps:
/// a location (<c>body</c>, <c>query[data]</c>), fields (<c>.form[data_list]</c>, <c>[0]</c>, <c>.properties</c>)
/// and transforms (<c>base64</c>, <c>gzip</c>, <c>json</c>). Rendered for people as
/// <c>body.form[data_list] → base64 → gzip → json[0].properties.$url</c>.
/// </summary>
public sealed class LeafPath
{
    private readonly LeafPath? _parent;
    private readonly string _step;
    private readonly StepKind _kind;
    private readonly string? _name;
    private string? _text;

    private LeafPath(LeafPath? parent, string step, StepKind kind, string? fieldName)
    {
        _parent = parent;
        _step = step;
        _kind = kind;
        _name = fieldName;
        TransformCount = (parent?.TransformCount ?? 0) + (kind == StepKind.Transform ? 1 : 0);
        FieldName = fieldName ?? parent?.FieldName;
        Location = parent?.Location ?? step;
    }

    private enum StepKind
    {
        Location,
        Field,
        Transform,
    }

    /// <summary>The path one step up (a field's object, a transform's input); null at a location.</summary>
    public LeafPath? Parent => _parent;

    /// <summary>How many decoding steps led here.</summary>
    public int TransformCount { get; }

    /// <summary>The innermost named field (a JSON key, form or query name, header name), used to read identifier-named fields.</summary>
    public string? FieldName { get; }

    /// <summary>The top-level location: <c>path</c>, <c>query</c>, <c>header</c>, <c>cookie</c> or <c>body</c>.</summary>
    public string Location { get; }

    public static LeafPath Root(string location, string? name = null) =>
        new(null, name is null ? location : $"{location}[{name}]", StepKind.Location, name);

    /// <summary>A named member: rendered <c>.name</c>, or <c>[name]</c> for names that would not read as a dotted path.</summary>
    public LeafPath Member(string name) => new(this, NeedsBrackets(name) ? $"[{name}]" : "." + name, StepKind.Field, name);

    /// <summary>A named entry of a container, rendered <c>.container[name]</c> (form fields, multipart parts, cookies).</summary>
    public LeafPath Entry(string container, string name) => new(this, $".{container}[{name}]", StepKind.Field, name);

    /// <summary>A named entry right after a transform or location, rendered <c>[name]</c> (<c>→ form[a]</c>).</summary>
    public LeafPath Bracket(string name) => new(this, $"[{name}]", StepKind.Field, name);

    public LeafPath Index(int index) => new(this, $"[{index}]", StepKind.Field, null);

    /// <summary>A protobuf field by its number, rendered <c>.#46</c> (its name is the number).</summary>
    public LeafPath FieldNumber(int number) => new(this, $".#{number}", StepKind.Field, number.ToString(System.Globalization.CultureInfo.InvariantCulture));

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
                    case StepKind.Field when step._name is { } name:
                        names.Add(name);
                        break;
                    case StepKind.Location:
                        return null;
                }
            }

            return null;
        }
    }

    public LeafPath Transform(string name) => new(this, name, StepKind.Transform, null);

    /// <summary>The transforms in the order they were applied.</summary>
    public IReadOnlyList<string> Transforms
    {
        get
        {
            var transforms = new List<string>(TransformCount);
            for (var step = this; step is not null; step = step._parent)
            {
                if (step._kind == StepKind.Transform)
                {
                    transforms.Add(step._step);
                }
            }

            transforms.Reverse();
            return transforms;
        }
    }

    // Built from the parent's text, which is cached too: siblings share their prefix, and no stack is needed.
    public override string ToString() => _text ??= _parent is null
        ? _step
        : string.Concat(_parent.ToString(), _kind == StepKind.Transform ? " → " : "", _step);

    private static bool NeedsBrackets(string name) =>
        name.Length == 0 || name.AsSpan().ContainsAny(" .[]→\"'") || char.IsDigit(name[0]);
}
