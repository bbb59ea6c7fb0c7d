using System.Text.Json;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Forwarding;

/// <summary>Node's own http2 client (tests/wire-clients/h2-through-proxy.js) through the proxy to the test origin.</summary>
internal static class NodeHttp2Client
{
    /// <returns>The script's one JSON line: status, whether HEADERS carried END_STREAM, headers, body, trailers.</returns>
    public static async Task<JsonElement> RunAsync(ProxyEnvironment env, string method, string path, params string[] headers)
    {
        var (code, stdout, stderr) = await ChildProcess.RunAsync("node",
        [
            Path.Combine(RepositoryPaths.Root, "tests", "wire-clients", "h2-through-proxy.js"),
            env.ProxyEndPoint.ToString(), $"{TlsOrigin.HostName}:{env.Origin.HttpsPort}",
            env.Proxy.Authority.CertificatePath, method, path, .. headers,
        ], timeout: TimeSpan.FromSeconds(90));
        Assert.True(code == 0, $"node exited {code}: {stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }
}
