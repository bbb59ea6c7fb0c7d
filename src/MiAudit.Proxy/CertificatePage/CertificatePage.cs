using System.Text;
using MiAudit.Flows;
using MiAudit.Proxy.Tls;
using Microsoft.AspNetCore.Http;

namespace MiAudit.Proxy.CertificatePage;

/// <summary>
/// What the proxy answers itself at <c>http://miaudit.cert/</c> (and to requests addressed to the proxy directly):
/// what MiAudit is, the CA certificate to download, and install steps. The private key is never served.
/// </summary>
public sealed class CertificatePage(CertificateAuthority authority)
{
    public const string MagicHost = "miaudit.cert";

    private readonly byte[] _der = authority.ExportDer();
    private readonly byte[] _pem = Encoding.ASCII.GetBytes(authority.ExportPem());

    public static bool IsMagicHost(string host) => string.Equals(HostPattern.Normalize(host), MagicHost, StringComparison.Ordinal);

    public Task ServeAsync(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        switch (context.Request.Path.Value)
        {
            case "/" or "":
                context.Response.ContentType = "text/html; charset=utf-8";
                return context.Response.WriteAsync(Html());
            case "/" + CertificateAuthority.DerFileName:
                return SendAsync(context, _der, "application/x-x509-ca-cert", CertificateAuthority.DerFileName);
            case "/" + CertificateAuthority.CertificateFileName:
                return SendAsync(context, _pem, "application/x-pem-file", CertificateAuthority.CertificateFileName);
            default:
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                context.Response.ContentType = "text/plain; charset=utf-8";
                return context.Response.WriteAsync("Not found. See http://miaudit.cert/\n");
        }
    }

    private static Task SendAsync(HttpContext context, byte[] body, string contentType, string fileName)
    {
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        context.Response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
        return context.Response.Body.WriteAsync(body).AsTask();
    }

    private string Html() => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
        <title>MiAudit certificate</title>
        <style>body{font-family:sans-serif;max-width:42em;margin:1.5em auto;padding:0 1em;line-height:1.45}
        code{background:#eee;padding:0 .2em}a.button{display:inline-block;padding:.6em 1em;margin:.2em 0;background:#1565c0;color:#fff;text-decoration:none;border-radius:4px}</style>
        </head><body>
        <h1>MiAudit</h1>
        <p>This device's traffic passes through <b>MiAudit</b>, an interception proxy for privacy audits.
        It decrypts HTTPS with its own certificate authority to find what apps and browsers send about you.</p>
        <h2>Install the MiAudit CA</h2>
        <p><a class="button" id="der" href="/{{CertificateAuthority.DerFileName}}">Download for Android (.crt)</a>
        <a class="button" id="pem" href="/{{CertificateAuthority.CertificateFileName}}">Download PEM (.pem, iOS and others)</a></p>
        <p>SHA-256 fingerprint: <code id="fingerprint">{{authority.Sha256Fingerprint}}</code><br>
        Valid until {{authority.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}}.</p>
        <h3>Android 11 and newer</h3>
        <ol><li>Download the .crt file above.</li>
        <li>Settings → Security → Encryption &amp; credentials → Install a certificate → <b>CA certificate</b> → Install anyway.</li>
        <li>Pick the downloaded file. Chrome and browsers that trust user CAs now accept MiAudit; apps targeting Android 7+ do not unless they opt in.</li></ol>
        <h3>iOS</h3>
        <ol><li>Open this page in Safari and download the PEM file; allow the profile.</li>
        <li>Settings → General → VPN &amp; Device Management → install the MiAudit profile.</li>
        <li>Settings → General → About → Certificate Trust Settings → enable full trust for MiAudit.</li></ol>
        <h3>When the audit is over</h3>
        <p>Remove the certificate again (Android: Encryption &amp; credentials → User credentials; iOS: delete the profile)
        and turn the Wi-Fi proxy off.</p>
        </body></html>
        """;
}
