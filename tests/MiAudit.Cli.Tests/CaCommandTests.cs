using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

public class CaCommandTests
{
    [Fact]
    public async Task Show_creates_the_ca_once_and_reports_the_same_fingerprint_afterwards()
    {
        using var dir = new TemporaryDirectory();
        var first = await MiAuditProcess.RunAsync(dir.Path, "ca", "show");
        var second = await MiAuditProcess.RunAsync(dir.Path, "ca", "show");

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Created a new CA", first.StdErr);
        Assert.DoesNotContain("Created", second.StdErr);
        var fingerprint = first.StdOut.Split('\n').Single(l => l.StartsWith("SHA-256:"));
        Assert.Contains(fingerprint, second.StdOut);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(dir.File("certs/miaudit-ca-key.pem")));
    }

    [Fact]
    public async Task Export_writes_der_and_pem_of_the_certificate_and_never_the_key()
    {
        using var dir = new TemporaryDirectory();
        var der = await MiAuditProcess.RunAsync(dir.Path, "ca", "export", "--format", "der", "--out", dir.File("phone.crt"));
        var pem = await MiAuditProcess.RunAsync(dir.Path, "ca", "export");

        Assert.Equal(0, der.ExitCode);
        Assert.Equal(0, pem.ExitCode);
        var fromDer = X509CertificateLoader.LoadCertificateFromFile(dir.File("phone.crt"));
        var fromPem = X509Certificate2.CreateFromPem(pem.StdOut);
        Assert.Equal(fromDer.Thumbprint, fromPem.Thumbprint);
        Assert.False(fromPem.HasPrivateKey);
        Assert.DoesNotContain("PRIVATE", pem.StdOut);
    }

    [Fact]
    public async Task Regenerate_needs_confirmation_then_replaces_the_ca()
    {
        using var dir = new TemporaryDirectory();
        await MiAuditProcess.RunAsync(dir.Path, "ca", "show");
        var before = File.ReadAllText(dir.File("certs/miaudit-ca.pem"));

        var unconfirmed = await MiAuditProcess.RunAsync(dir.Path, "ca", "regenerate");
        Assert.Equal(2, unconfirmed.ExitCode);
        Assert.Equal(before, File.ReadAllText(dir.File("certs/miaudit-ca.pem")));

        var confirmed = await MiAuditProcess.RunAsync(dir.Path, "ca", "regenerate", "--yes");
        Assert.Equal(0, confirmed.ExitCode);
        Assert.Contains("install", confirmed.StdOut);
        Assert.NotEqual(before, File.ReadAllText(dir.File("certs/miaudit-ca.pem")));
    }
}
