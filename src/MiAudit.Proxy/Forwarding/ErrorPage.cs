using System.Net;
using Microsoft.AspNetCore.Http;

namespace MiAudit.Proxy.Forwarding;

/// <summary>The short page a phone sees instead of an empty 502/504, naming the host and the reason.</summary>
internal static class ErrorPage
{
    public static async Task WriteAsync(HttpContext context, int statusCode, string authority, string reason)
    {
        var title = statusCode == 504 ? "504 Gateway Timeout" : $"{statusCode} Bad Gateway";
        context.Response.Clear();
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        await context.Response.WriteAsync($"""
            <!doctype html>
            <html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
            <title>{title} · MiAudit</title></head>
            <body style="font-family:sans-serif;max-width:40em;margin:2em auto">
            <h1>{title}</h1>
            <p>MiAudit could not get an answer from <b>{WebUtility.HtmlEncode(authority)}</b>.</p>
            <p>{WebUtility.HtmlEncode(reason)}</p>
            <p><small>Answered by the MiAudit interception proxy.</small></p>
            </body></html>
            """);
    }
}
