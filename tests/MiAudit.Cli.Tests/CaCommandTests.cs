using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

public class CaCommandTests
{
    [Fact]
    public async Task Show_never_creates_a_ca_and_reports_the_fingerprint_of_the_one_export_created()
    {
        using var dir = new TemporaryDirectory();
        var none = await MiAuditProcess.RunAsync(dir.Path, "ca", "show");
        Assert.Equal(1, none.ExitCode);
        Assert.StartsWith("miaudit: no MiAudit CA in", none.StdErr.Trim());
        Assert.False(Directory.Exists(dir.File("certs")));

        var export = await MiAuditProcess.RunAsync(dir.Path, "ca", "export");
        var show = await MiAuditProcess.RunAsync(dir.Path, "ca", "show");

        Assert.Equal(0, export.ExitCode);
        Assert.Contains("Created a new CA", export.StdErr);
        Assert.Equal(0, show.ExitCode);
        Assert.DoesNotContain("Created", show.StdErr);
        var exported = X509Certificate2.CreateFromPem(export.StdOut);
        var fingerprint = show.StdOut.Split('\n').Single(l => l.StartsWith("SHA-256:"));
        Assert.Contains(Convert.ToHexString(exported.GetCertHash(HashAlgorithmName.SHA256)), fingerprint.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
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
        await MiAuditProcess.RunAsync(dir.Path, "ca", "export");
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
