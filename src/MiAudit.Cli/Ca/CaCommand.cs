using System.CommandLine;
using MiAudit.Proxy.Tls;

namespace MiAudit.Cli.Ca;

/// <summary><c>miaudit ca show|export|regenerate</c>: the root CA the phone has to trust.</summary>
public static class CaCommand
{
    public static Command Create(Option<DirectoryInfo> certsDir)
    {
        var ca = new Command("ca", "Show, export or regenerate MiAudit's root CA (created on first use)");
        ca.Subcommands.Add(Show(certsDir));
        ca.Subcommands.Add(Export(certsDir));
        ca.Subcommands.Add(Regenerate(certsDir));
        return ca;
    }

    private static Command Show(Option<DirectoryInfo> certsDir)
    {
        var show = new Command("show", "Print the CA's files, subject, fingerprint and validity");
        show.SetAction(result => WithAuthority(result, certsDir, create: false, authority =>
        {
            var certificate = authority.Certificate;
            Console.WriteLine($"Certificate: {authority.CertificatePath}");
            Console.WriteLine($"For Android: {authority.DerPath}");
            Console.WriteLine($"Private key: {authority.KeyPath} (never share it)");
            Console.WriteLine($"Subject:     {certificate.Subject}");
            Console.WriteLine($"SHA-256:     {authority.Sha256Fingerprint}");
            Console.WriteLine($"Valid:       {certificate.NotBefore.ToUniversalTime():yyyy-MM-dd} to {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd} (UTC)");
            return ExitCodes.Ok;
        }));
        return show;
    }

    private static Command Export(Option<DirectoryInfo> certsDir)
    {
        var format = new Option<string>("--format") { Description = "pem, or der (a .crt Android installs)", DefaultValueFactory = _ => "pem" };
        format.AcceptOnlyFromAmong("pem", "der");
        var output = new Option<FileInfo?>("--out", "-o") { Description = "File to write (default: standard output; der needs a file)", HelpName = "FILE" };
        var export = new Command("export", "Write the CA certificate (never the key) as PEM or DER") { format, output };
        export.SetAction(result => WithAuthority(result, certsDir, create: true, authority =>
        {
            var der = result.GetValue(format) == "der";
            var file = result.GetValue(output);
            if (file is null)
            {
                if (der)
                {
                    return Report.Error("--format der writes binary; give --out FILE", ExitCodes.Usage);
                }

                Console.Write(authority.ExportPem());
                return ExitCodes.Ok;
            }

            if (der)
            {
                File.WriteAllBytes(file.FullName, authority.ExportDer());
            }
            else
            {
                File.WriteAllText(file.FullName, authority.ExportPem());
            }

            Console.Error.WriteLine($"Wrote {file.FullName}");
            return ExitCodes.Ok;
        }));
        return export;
    }

    private static Command Regenerate(Option<DirectoryInfo> certsDir)
    {
        var yes = new Option<bool>("--yes") { Description = "Do it (without it, only the consequences are printed)" };
        var regenerate = new Command("regenerate", "Replace the CA with a new one; every phone must install the new certificate") { yes };
        regenerate.SetAction(result =>
        {
            var directory = result.GetValue(certsDir)!.FullName;
            if (!result.GetValue(yes))
            {
                Console.Error.WriteLine($"This replaces the CA in {directory}. Phones that trust the old one will reject MiAudit until they install the new one. Run again with --yes.");
                return ExitCodes.Usage;
            }

            using var authority = CertificateAuthority.Regenerate(directory);
            Console.WriteLine($"New CA: {authority.CertificatePath}");
            Console.WriteLine($"SHA-256: {authority.Sha256Fingerprint}");
            Console.WriteLine("Remove the old MiAudit certificate from your phones and install this one (http://miaudit.cert/).");
            return ExitCodes.Ok;
        });
        return regenerate;
    }

    private static int WithAuthority(ParseResult result, Option<DirectoryInfo> certsDir, bool create, Func<CertificateAuthority, int> action)
    {
        try
        {
            var directory = result.GetValue(certsDir)!.FullName;
            using var authority = create ? CertificateAuthority.LoadOrCreate(directory) : CertificateAuthority.LoadExisting(directory);
            if (authority.Created)
            {
                Console.Error.WriteLine($"Created a new CA in {authority.Directory}");
            }

            return action(authority);
        }
        catch (Exception e) when (e is CertificateAuthorityException or IOException or UnauthorizedAccessException)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }
    }
}
