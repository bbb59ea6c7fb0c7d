using System.Buffers;
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
            // The named steps between here and the document's transform, counted first so the text is made once.
            var (names, length, first) = (0, 0, this);
            for (var step = this; step is not null; step = step._parent)
            {
                switch (step._kind)
                {
                    case StepKind.Transform when step._step is "json" or "protobuf":
                        return names == 0 ? null : JoinNames(first, length);
                    case StepKind.Transform:
                        (names, length, first) = (0, 0, step._parent!); // fields met so far were inside a value decoded further
                        break;
                    case StepKind.Location:
                        return null;
                    case StepKind.Index:
                        break;
                    default:
                        (names, length) = (names + 1, length + step._step.Length + (names > 0 ? 1 : 0));
                        break;
                }
            }

            return null;
        }
    }

    private static string JoinNames(LeafPath innermost, int length) =>
        string.Create(length, innermost, static (chars, step) => // from the innermost name outwards, written from the end
        {
            var end = chars.Length;
            for (; end > 0; step = step._parent!)
            {
                if (step._kind is StepKind.Index)
                {
                    continue;
                }

                step._step.CopyTo(chars[(end - step._step.Length)..]);
                end -= step._step.Length;
                if (end > 0)
                {
                    chars[--end] = '.';
                }
            }
        });

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

    /// <summary>The path as people read it; made in one piece (only paths behind a finding or shown in the UI are rendered).</summary>
    public override string ToString()
    {
        if (_text is not null)
        {
            return _text;
        }

        // The steps from here up to the location, or up to the nearest one whose text is made (siblings share it).
        var length = 0;
        LeafPath? made = null;
        for (var step = this; step is not null; step = step._parent)
        {
            if (step._text is not null)
            {
                (made, length) = (step, length + step._text.Length);
                break;
            }

            length += step.PieceLength();
        }

        return _text = string.Create(length, (Leaf: this, Made: made), static (chars, state) =>
        {
            var end = chars.Length;
            for (var step = state.Leaf; step is not null && step != state.Made; step = step._parent)
            {
                var piece = step.PieceLength();
                end -= piece;
                step.WritePiece(chars.Slice(end, piece));
            }

            state.Made?._text.AsSpan().CopyTo(chars);
        });
    }

    private int PieceLength() => _kind switch
    {
        StepKind.Location => _extra is null ? _step.Length : _step.Length + _extra.Length + 2,
        StepKind.Member => _step.Length + (NeedsBrackets(_step) ? 2 : 1),
        StepKind.Entry => _extra!.Length + _step.Length + 3,
        StepKind.Bracket => _step.Length + 2,
        StepKind.Index => Digits(_index) + 2,
        StepKind.FieldNumber => _step.Length + 2,
        _ => _step.Length + 3,
    };

    private void WritePiece(Span<char> chars)
    {
        switch (_kind)
        {
            case StepKind.Location when _extra is null:
                _step.CopyTo(chars);
                break;
            case StepKind.Location:
                Bracketed(chars[_step.Length..], _extra!);
                _step.CopyTo(chars);
                break;
            case StepKind.Member when NeedsBrackets(_step):
            case StepKind.Bracket:
                Bracketed(chars, _step);
                break;
            case StepKind.Member:
                chars[0] = '.';
                _step.CopyTo(chars[1..]);
                break;
            case StepKind.Entry:
                chars[0] = '.';
                _extra!.CopyTo(chars[1..]);
                Bracketed(chars[(_extra.Length + 1)..], _step);
                break;
            case StepKind.Index:
                chars[0] = '[';
                _index.TryFormat(chars[1..], out _, default, CultureInfo.InvariantCulture);
                chars[^1] = ']';
                break;
            case StepKind.FieldNumber:
                ".#".CopyTo(chars);
                _step.CopyTo(chars[2..]);
                break;
            default:
                " → ".CopyTo(chars);
                _step.CopyTo(chars[3..]);
                break;
        }
    }

    private static void Bracketed(Span<char> chars, string name)
    {
        chars[0] = '[';
        name.CopyTo(chars[1..]);
        chars[name.Length + 1] = ']';
    }

    private static int Digits(int value)
    {
        var digits = 1; // indexes are never negative
        for (; value >= 10; value /= 10)
        {
            digits++;
        }

        return digits;
    }

    private static readonly SearchValues<char> NotDotted = SearchValues.Create(" .[]→\"'");

    private static bool NeedsBrackets(string name) =>
        name.Length == 0 || name.AsSpan().ContainsAny(NotDotted) || char.IsDigit(name[0]);
}
