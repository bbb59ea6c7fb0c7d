using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using MiAudit.Flows;

namespace MiAudit.Detection.Tests.Robustness;

/// <summary>
/// Tens of thousands of generated and mutated requests — random bytes, bit-flipped and truncated compressed or
/// encoded telemetry, lone surrogates, deep nesting — through the real engine: it must always return.
/// </summary>
public sealed class PoisonProperties
{
    private static readonly string Event = $$"""
        {"distinct_id":"{{TestDevice.AndroidId}}","lib":{"$lib":"js"},"properties":{"$url":"https://news.example.org/a?b=1",
        "$device_id":"{{TestDevice.AndroidId}}","imei":"{{TestDevice.Imei}}","$screen_width":1080},"type":"track","event":"$pageview"}
        """;

    private static readonly string[] Encodings = ["identity", "gzip", "br", "zstd", "deflate"];
    private static readonly string[] ContentTypes =
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=xyz", "application/octet-stream", ""];
    private static readonly string[] Locations = ["body", "query", "header", "cookie", "path"];

    [Fact]
    public void Detection_returns_for_every_generated_poison_request()
    {
        var engine = TestDevice.Engine();
        var generator =
            from seed in Gen.Elements(Seeds())
            from count in Gen.Choose(0, 4)
            from mutations in Gen.ListOf(Gen.Choose(0, 7).Zip(Gen.Choose(0, int.MaxValue)), count)
            from encoding in Gen.Elements(Encodings)
            from contentType in Gen.Elements(ContentTypes)
            from location in Gen.Elements(Locations)
            from length in Gen.Choose(0, 600)
            from random in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
            select Build(Mutate(seed, mutations, random), encoding, contentType, location);

        Prop.ForAll(Arb.From(generator), flow =>
        {
            engine.ObserveRequest(flow);
            return engine.Analyze(flow) is not null;
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(20_000));
    }

    private static byte[][] Seeds()
    {
        var json = Encoding.UTF8.GetBytes(Event);
        var batch = Encoding.UTF8.GetBytes($"[{Event},{Event}]");
        var base64Gzip = Encoding.ASCII.GetBytes("crc=1&gzip=1&data_list=" + Uri.EscapeDataString(Convert.ToBase64String(Compress(batch, "gzip"))));
        var multipart = Encoding.UTF8.GetBytes($"--xyz\r\nContent-Disposition: form-data; name=\"d\"\r\n\r\n{Event}\r\n--xyz--\r\n");
        var protobuf = new byte[] { 0x0a, 0x10 }.Concat(Encoding.ASCII.GetBytes(TestDevice.AndroidId)).Concat(new byte[] { 0x12, 0x03, 0x61, 0x62, 0x63, 0x1a, 0xff }).ToArray();
        return
        [
            json, batch, base64Gzip, multipart, protobuf,
            Compress(json, "gzip"), Compress(json, "br"), Compress(json, "zstd"), Compress(json, "deflate"),
            Encoding.ASCII.GetBytes(Convert.ToBase64String(Compress(json, "zstd"))),
            Encoding.ASCII.GetBytes(Convert.ToHexString(Compress(json, "gzip"))),
            Encoding.UTF8.GetBytes("{\"a\":\"\\ud800\",\"b\":\"\\udfff\\ud800x\",\"\\ud801\":[\"\\u\"]}"),
            Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 3000)) + "1" + new string('}', 3000)),
            Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("%25", 200)) + "41"),
        ];
    }

    /// <summary>Mutation kinds: bit flip, truncate, insert random bytes, insert a lone surrogate, base64-wrap, gzip-wrap, percent-wrap, replace by random.</summary>
    private static byte[] Mutate(byte[] seed, IEnumerable<(int Kind, int Where)> mutations, byte[] random)
    {
        var bytes = seed.ToList();
        foreach (var (kind, where) in mutations)
        {
            var at = bytes.Count == 0 ? 0 : where % bytes.Count;
            switch (kind)
            {
                case 0 when bytes.Count > 0: bytes[at] ^= (byte)(1 << (where % 8)); break;
                case 1: bytes.RemoveRange(at, bytes.Count - at); break;
                case 2: bytes.InsertRange(at, random); break;
                case 3: bytes.InsertRange(at, "\\ud800"u8.ToArray()); break;
                case 4: bytes = [.. Encoding.ASCII.GetBytes(Convert.ToBase64String([.. bytes]))]; break;
                case 5: bytes = [.. Compress([.. bytes], "gzip")]; break;
                case 6: bytes = [.. Encoding.ASCII.GetBytes(Uri.EscapeDataString(Encoding.Latin1.GetString([.. bytes])))]; break;
                case 7: bytes = [.. random]; break;
            }
        }

        return [.. bytes];
    }

    private static Flow Build(byte[] payload, string encoding, string contentType, string location)
    {
        var text = Encoding.UTF8.GetString(payload);
        var url = "https://collector.example.net/sa";
        var builder = location switch
        {
            "query" => FlowBuilder.Get(url + "?data=" + Uri.EscapeDataString(text)),
            "path" => FlowBuilder.Get(url + "/" + Uri.EscapeDataString(text)),
            "header" => FlowBuilder.Get(url).Header("X-Data", text),
            "cookie" => FlowBuilder.Get(url).Header("Cookie", "sa=" + text.Replace(";", "")),
            _ => FlowBuilder.Post(url).Body(encoding == "identity" ? payload : Compress(payload, encoding), contentType),
        };

        if (location == "body" && encoding != "identity")
        {
            builder.Header("Content-Encoding", encoding);
        }

        return builder.Build();
    }

    private static byte[] Compress(byte[] data, string format)
    {
        if (format == "zstd")
        {
            using var zstd = new ZstdSharp.Compressor();
            return zstd.Wrap(data).ToArray();
        }

        using var output = new MemoryStream();
        using (Stream stream = format switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest),
            "br" => new BrotliStream(output, CompressionLevel.Fastest),
            _ => new DeflateStream(output, CompressionLevel.Fastest),
        })
        {
            stream.Write(data);
        }

        return output.ToArray();
    }
}
