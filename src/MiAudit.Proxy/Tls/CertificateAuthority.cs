using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace MiAudit.Proxy.Tls;

/// <summary>
/// MiAudit's root CA: created on first run in a folder, reused afterwards. The private key file is 0600 and
/// a key readable by anyone else is refused, because this key can impersonate any site to the test phone.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    public const string CertificateFileName = "miaudit-ca.pem";
    public const string DerFileName = "miaudit-ca.crt";
    public const string KeyFileName = "miaudit-ca-key.pem";

    private static readonly TimeSpan Validity = TimeSpan.FromDays(3650);

    private CertificateAuthority(X509Certificate2 certificate, string directory, bool created)
    {
        Certificate = certificate;
        Directory = directory;
        Created = created;
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public string Directory { get; }

    /// <summary>True when this run created the CA (the phone has to install it).</summary>
    public bool Created { get; }

    public string CertificatePath => Path.Combine(Directory, CertificateFileName);

    public string DerPath => Path.Combine(Directory, DerFileName);

    public string KeyPath => Path.Combine(Directory, KeyFileName);

    /// <summary>SHA-256 of the certificate, as colon-separated hex (what Android's certificate details show).</summary>
    public string Sha256Fingerprint => Convert.ToHexString(Certificate.GetCertHash(HashAlgorithmName.SHA256))
        .Chunk(2).Select(pair => new string(pair)).Aggregate((a, b) => a + ":" + b);

    public byte[] ExportDer() => Certificate.Export(X509ContentType.Cert);

    public string ExportPem() => Certificate.ExportCertificatePem() + "\n";

    /// <summary>Loads the CA from <paramref name="directory"/>, creating it when neither file exists.</summary>
    /// <exception cref="CertificateAuthorityException">The files are unreadable, inconsistent or the key is exposed.</exception>
    public static CertificateAuthority LoadOrCreate(string directory, TimeProvider? clock = null)
    {
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        var certExists = File.Exists(certPath);
        var keyExists = File.Exists(keyPath);
        if (!certExists && !keyExists)
        {
            return CreateIn(directory, clock ?? TimeProvider.System);
        }

        if (certExists != keyExists)
        {
            throw new CertificateAuthorityException(
                $"found {(certExists ? certPath : keyPath)} but not {(certExists ? keyPath : certPath)}; restore it or run 'miaudit ca regenerate'");
        }

        return Load(directory);
    }

    /// <summary>Loads the CA from <paramref name="directory"/>; never creates one (for commands that only look).</summary>
    /// <exception cref="CertificateAuthorityException">There is none, or it cannot be read.</exception>
    public static CertificateAuthority LoadExisting(string directory)
    {
        if (!File.Exists(Path.Combine(directory, CertificateFileName)) && !File.Exists(Path.Combine(directory, KeyFileName)))
        {
            throw new CertificateAuthorityException($"no MiAudit CA in {directory} ('miaudit run' or 'miaudit ca export' creates one there; --certs-dir names another folder)");
        }

        return LoadOrCreate(directory);
    }

    /// <summary>Replaces the CA with a new one. Phones must install the new certificate.</summary>
    public static CertificateAuthority Regenerate(string directory, TimeProvider? clock = null)
    {
        foreach (var name in new[] { CertificateFileName, DerFileName, KeyFileName })
        {
            File.Delete(Path.Combine(directory, name));
        }

        return CreateIn(directory, clock ?? TimeProvider.System);
    }

    /// <summary>Creates the CA; a folder that cannot hold it is one line saying which and why.</summary>
    private static CertificateAuthority CreateIn(string directory, TimeProvider clock)
    {
        try
        {
            return Create(directory, clock);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CertificateAuthorityException(
                $"cannot create the CA in {directory}: {(e is UnauthorizedAccessException ? "permission denied" : !System.IO.Directory.Exists(directory) ? "that folder cannot be created" : e.Message)}", e);
        }
    }

    private static CertificateAuthority Load(string directory)
    {
        var certPath = Path.Combine(directory, CertificateFileName);
        var keyPath = Path.Combine(directory, KeyFileName);
        RefuseExposedKey(keyPath);
        try
        {
            var certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
            if (!certificate.HasPrivateKey)
            {
                throw new CertificateAuthorityException($"{keyPath} does not hold the key of {certPath}");
            }

            return new CertificateAuthority(certificate, directory, created: false);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new CertificateAuthorityException($"cannot read the CA in {directory}: {e.Message}", e);
        }
    }

    private static CertificateAuthority Create(string directory, TimeProvider clock)
    {
        System.IO.Directory.CreateDirectory(directory);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = clock.GetUtcNow();
        var name = new X500DistinguishedName(
            $"CN=MiAudit Root CA ({Dns.GetHostName()} {now:yyyy-MM-dd}), O=MiAudit, OU=Privacy audit interception CA");
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));

        using var selfSigned = request.CreateSelfSigned(now.AddDays(-2), now.Add(Validity));
        var certificate = X509Certificate2.CreateFromPem(selfSigned.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());

        var keyPath = Path.Combine(directory, KeyFileName);
        WritePrivate(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        File.WriteAllText(Path.Combine(directory, CertificateFileName), selfSigned.ExportCertificatePem() + "\n");
        File.WriteAllBytes(Path.Combine(directory, DerFileName), selfSigned.Export(X509ContentType.Cert));
        return new CertificateAuthority(certificate, directory, created: true);
    }

    /// <summary>Creates the file with mode 0600 from the start, so the key is never briefly world-readable.</summary>
    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, System.Text.Encoding.ASCII, options);
        writer.Write(content);
    }

    private static void RefuseExposedKey(string keyPath)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        const UnixFileMode exposed = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        var mode = File.GetUnixFileMode(keyPath);
        if ((mode & exposed) != 0)
        {
            throw new CertificateAuthorityException(
                $"the CA key {keyPath} is readable or writable by other users (mode {Convert.ToString((int)mode, 8)}); " +
                $"anyone with it can impersonate any site to your test phone. Run: chmod 600 {keyPath}");
        }
    }

    public void Dispose() => Certificate.Dispose();
}

/// <summary>The CA could not be loaded or created; the message says what to do.</summary>
public sealed class CertificateAuthorityException(string message, Exception? inner = null) : Exception(message, inner);
