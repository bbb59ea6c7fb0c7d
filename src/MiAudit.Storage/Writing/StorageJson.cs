using System.Text.Json.Serialization;

namespace MiAudit.Storage.Writing;

/// <summary>
/// The JSON shapes the store writes and reads, generated at build time: no reflection, so the Native AOT build
/// (src/publish.sh) serialises exactly what the JIT build does.
/// </summary>
[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(string[][]))]
internal sealed partial class StorageJson : JsonSerializerContext;
