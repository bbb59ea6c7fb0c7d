using Parquet;
using Parquet.Schema;

namespace MiAudit.Storage.Export.Parquet;

/// <summary>
/// A Parquet file written from a stream of rows in row groups of <see cref="RowGroupSize"/>: each column buffers one
/// group's values, so memory stays flat however many rows there are.
/// </summary>
internal sealed class ParquetTable<TRow>(IReadOnlyList<ParquetColumn<TRow>> columns)
{
    // Measured on 1M findings (docs/performance.md): 64k-row groups peaked at 283 MiB, 16k rows at 134 MiB, as fast.
    public const int RowGroupSize = 16 * 1024;

    public long Write(IEnumerable<TRow> rows, Stream output, Action<long>? progress) => WriteAsync(rows, output, progress).GetAwaiter().GetResult();

    private async Task<long> WriteAsync(IEnumerable<TRow> rows, Stream output, Action<long>? progress)
    {
        var schema = new ParquetSchema(columns.Select(c => (Field)c.Field));
        // Snappy, which every reader has; at Parquet.Net's default level (SmallestSize) the export took 18 s instead of 8.
        var options = new ParquetOptions { CompressionMethod = CompressionMethod.Snappy, CompressionLevel = System.IO.Compression.CompressionLevel.Fastest };
        await using var writer = await ParquetWriter.CreateAsync(schema, output, options, append: false);
        long count = 0;
        var buffered = 0;
        foreach (var row in rows)
        {
            foreach (var column in columns)
            {
                column.Add(row);
            }

            count++;
            if (++buffered == RowGroupSize)
            {
                await FlushAsync(writer);
                buffered = 0;
                progress?.Invoke(count);
            }
        }

        if (buffered > 0 || count == 0)
        {
            await FlushAsync(writer); // an empty export is still a file with the schema
        }

        return count;
    }

    private async Task FlushAsync(ParquetWriter writer)
    {
        using var group = writer.CreateRowGroup();
        foreach (var column in columns)
        {
            await column.WriteAsync(group);
            column.Clear();
        }

        group.CompleteValidate();
    }
}

/// <summary>One typed column of a <see cref="ParquetTable{TRow}"/>: its field, and one row group's values.</summary>
internal abstract class ParquetColumn<TRow>
{
    public abstract DataField Field { get; }

    public abstract void Add(TRow row);

    public abstract Task WriteAsync(ParquetRowGroupWriter group);

    public abstract void Clear();
}

internal sealed class TextColumn<TRow>(string name, Func<TRow, string?> value, bool nullable = false) : ParquetColumn<TRow>
{
    private readonly List<string?> _values = new(ParquetTable<TRow>.RowGroupSize);

    public override DataField Field { get; } = new DataField<string>(name, nullable);

    public override void Add(TRow row) => _values.Add(value(row));

    public override Task WriteAsync(ParquetRowGroupWriter group) => group.WriteAsync(Field, _values!);

    public override void Clear() => _values.Clear();
}

internal sealed class NumberColumn<TRow, T>(string name, Func<TRow, T> value) : ParquetColumn<TRow>
    where T : struct
{
    private readonly List<T> _values = new(ParquetTable<TRow>.RowGroupSize);

    public override DataField Field { get; } = new DataField<T>(name);

    public override void Add(TRow row) => _values.Add(value(row));

    public override Task WriteAsync(ParquetRowGroupWriter group) => group.WriteAsync(Field, new ReadOnlyMemory<T>([.. _values]));

    public override void Clear() => _values.Clear();
}

internal sealed class NullableNumberColumn<TRow, T>(string name, Func<TRow, T?> value) : ParquetColumn<TRow>
    where T : struct
{
    private readonly List<T?> _values = new(ParquetTable<TRow>.RowGroupSize);

    public override DataField Field { get; } = new DataField<T?>(name);

    public override void Add(TRow row) => _values.Add(value(row));

    public override Task WriteAsync(ParquetRowGroupWriter group) => group.WriteAsync(Field, new ReadOnlyMemory<T?>([.. _values]));

    public override void Clear() => _values.Clear();
}

/// <summary>A UTC timestamp in milliseconds (what the store keeps), read by DuckDB, pandas and Spark as a timestamp.</summary>
internal sealed class TimeColumn<TRow>(string name, Func<TRow, DateTimeOffset> value) : ParquetColumn<TRow>
{
    private readonly List<DateTime> _values = new(ParquetTable<TRow>.RowGroupSize);

    public override DataField Field { get; } = new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Millis);

    public override void Add(TRow row) => _values.Add(value(row).UtcDateTime);

    public override Task WriteAsync(ParquetRowGroupWriter group) => group.WriteAsync(Field, new ReadOnlyMemory<DateTime>([.. _values]));

    public override void Clear() => _values.Clear();
}
