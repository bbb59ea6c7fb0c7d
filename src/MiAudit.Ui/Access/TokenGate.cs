using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace MiAudit.Ui.Access;

/// <summary>
/// Every request carries the token: once as <c>?token=</c> (the banner's link), which sets an HttpOnly, SameSite=Strict
/// cookie and redirects to the same URL without it (so it does not stay in the address bar or the history); after that,
/// the cookie. Anything else is 401. The UI shows hostile content from the phone's traffic, so it also sends a strict
/// Content-Security-Policy on every answer: no inline script, no eval, nothing from elsewhere.
/// </summary>
internal sealed class TokenGate(string token)
{
    public const string CookieName = "miaudit_ui";

    private const string Policy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private readonly byte[] _token = Encoding.ASCII.GetBytes(token);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = Policy;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";

        if (context.Request.Query.TryGetValue("token", out var given))
        {
            if (!Matches(given.ToString()))
            {
                await Refuse(context);
                return;
            }

            context.Response.Cookies.Append(CookieName, Encoding.ASCII.GetString(_token), new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Strict,
                Path = "/",
                IsEssential = true,
            });
            var rest = string.Join('&', context.Request.Query.Where(p => p.Key != "token").SelectMany(p => p.Value.Select(v => $"{Uri.EscapeDataString(p.Key)}={Uri.EscapeDataString(v ?? "")}")));
            context.Response.Redirect(context.Request.Path + (rest.Length > 0 ? "?" + rest : ""));
            return;
        }

        if (!context.Request.Cookies.TryGetValue(CookieName, out var cookie) || !Matches(cookie))
        {
            await Refuse(context);
            return;
        }

        await next(context);
    }

    private bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), _token);

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync("MiAudit UI: open the link with ?token=… that 'miaudit run' or 'miaudit ui' printed.\n");
    }
}
