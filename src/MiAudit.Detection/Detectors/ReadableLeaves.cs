using MiAudit.Detection.Decoding;

namespace MiAudit.Detection.Detectors;

/// <summary>The leaves of a request that are not containers, enumerated in place (no copy per detector).</summary>
public readonly ref struct ReadableLeaves(ReadOnlySpan<Leaf> leaves)
{
    private readonly ReadOnlySpan<Leaf> _leaves = leaves;

    public Enumerator GetEnumerator() => new(_leaves);

    public ref struct Enumerator(ReadOnlySpan<Leaf> leaves)
    {
        private readonly ReadOnlySpan<Leaf> _leaves = leaves;
        private int _next = -1;

        public readonly Leaf Current => _leaves[_next];

        public bool MoveNext()
        {
            while (++_next < _leaves.Length)
            {
                if (!_leaves[_next].Expanded)
                {
                    return true;
                }
            }

            return false;
        }
    }
}
