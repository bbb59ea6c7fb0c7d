using System.Security.Cryptography.X509Certificates;
using MiAudit.Proxy.Tls;
using MiAudit.Testing;

namespace MiAudit.Proxy.Tests.Tls;

public class CertificateAuthorityTests
{
    [Fact]
    public void First_use_creates_a_ten_year_ca_with_a_private_key_only_the_owner_can_read()
    {
        using var dir = new TemporaryDirectory();
        using var authority = CertificateAuthority.LoadOrCreate(dir.Path);

        Assert.True(authority.Created);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(authority.KeyPath));
        var certificate = authority.Certificate;
        Assert.Contains("MiAudit", certificate.Subject);
        var years = (certificate.NotAfter - certificate.NotBefore).TotalDays / 365;
        Assert.InRange(years, 9.9, 10.1);
        var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(constraints.CertificateAuthority);
        Assert.True(constraints.Critical);
        var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.Critical);
        Assert.True(usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.NotNull(certificate.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
        Assert.Equal(authority.ExportDer(), File.ReadAllBytes(authority.DerPath));
    }

    [Fact]
    public void Later_runs_reuse_the_same_ca()
    {
        using var dir = new TemporaryDirectory();
        string thumbprint;
        using (var first = CertificateAuthority.LoadOrCreate(dir.Path))
        {
            thumbprint = first.Certificate.Thumbprint;
        }

        using var second = CertificateAuthority.LoadOrCreate(dir.Path);
        Assert.False(second.Created);
        Assert.Equal(thumbprint, second.Certificate.Thumbprint);
        Assert.True(second.Certificate.HasPrivateKey);
    }

    [Fact]
    public void A_key_readable_by_others_is_refused_with_the_fix_in_the_message()
    {
        using var dir = new TemporaryDirectory();
        using (CertificateAuthority.LoadOrCreate(dir.Path))
        {
        }

        var keyPath = Path.Combine(dir.Path, CertificateAuthority.KeyFileName);
        File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);

        var error = Assert.Throws<CertificateAuthorityException>(() => CertificateAuthority.LoadOrCreate(dir.Path));
        Assert.Contains("chmod 600", error.Message);
    }

    [Fact]
    public void A_certificate_without_its_key_is_an_error_not_a_silent_new_ca()
    {
        using var dir = new TemporaryDirectory();
        using (CertificateAuthority.LoadOrCreate(dir.Path))
        {
        }

        File.Delete(Path.Combine(dir.Path, CertificateAuthority.KeyFileName));

        var error = Assert.Throws<CertificateAuthorityException>(() => CertificateAuthority.LoadOrCreate(dir.Path));
        Assert.Contains(CertificateAuthority.KeyFileName, error.Message);
    }

    [Fact]
    public void Regenerate_replaces_the_ca()
    {
        using var dir = new TemporaryDirectory();
        string before;
        using (var first = CertificateAuthority.LoadOrCreate(dir.Path))
        {
            before = first.Certificate.Thumbprint;
        }

        using var regenerated = CertificateAuthority.Regenerate(dir.Path);
        Assert.NotEqual(before, regenerated.Certificate.Thumbprint);
        using var loaded = CertificateAuthority.LoadOrCreate(dir.Path);
        Assert.Equal(regenerated.Certificate.Thumbprint, loaded.Certificate.Thumbprint);
    }
}
