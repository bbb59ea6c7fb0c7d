namespace MiAudit.Reporting.Html;

/// <summary>The report's only style sheet, inlined: system fonts, readable on screen and on paper.</summary>
internal static class Stylesheet
{
    public const string Css = """
        :root { color-scheme: light; --ink: #1d2430; --muted: #5b6573; --rule: #d8dde5; --band: #f4f6f9; }
        * { box-sizing: border-box; }
        body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: var(--ink); margin: 0 auto; padding: 24px 32px 48px; max-width: 1280px; }
        h1 { font-size: 26px; margin: 0 0 12px; }
        h2 { font-size: 20px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
        h3 { font-size: 16px; margin: 22px 0 6px; }
        table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
        th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--rule); }
        thead th { background: var(--band); font-weight: 600; }
        td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
        code, .value, .snippet, .url, .decoded td { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
        .value, .snippet, .url, .decoded td, .hosts { overflow-wrap: anywhere; }
        table.facts th { width: 160px; color: var(--muted); font-weight: 500; }
        table.facts ul { margin: 0; padding-left: 18px; }
        table.kv th { width: 30%; font-weight: 500; overflow-wrap: anywhere; }
        table.decoded tr.container th { background: var(--band); color: var(--muted); }
        table.decoded th.member { padding-left: 24px; }
        nav a { margin-right: 14px; }
        .note { color: var(--muted); margin: 4px 0 8px; }
        .cards { display: flex; gap: 16px; flex-wrap: wrap; margin: 8px 0 16px; }
        .card { background: var(--band); border-radius: 8px; padding: 12px 18px; min-width: 180px; color: var(--muted); }
        .card .number { display: block; font-size: 30px; font-weight: 700; color: var(--ink); }
        .category { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; background: var(--c); white-space: nowrap; }
        .severity { display: inline-block; border-radius: 3px; padding: 0 6px; font-size: 11px; font-weight: 700; text-transform: uppercase; border: 1px solid; }
        .severity.critical { color: #fff; background: #7b1e1e; border-color: #7b1e1e; }
        .severity.high { color: #b3261e; border-color: #b3261e; }
        .severity.medium { color: #a15c00; border-color: #a15c00; }
        .severity.low { color: #2d6a4f; border-color: #2d6a4f; }
        .severity.info { color: var(--muted); border-color: var(--muted); }
        tr.persists td:first-child { box-shadow: inset 4px 0 0 #b3261e; }
        svg.timeline { width: 100%; height: auto; background: #fff; }
        svg.timeline text { font: 11px system-ui, sans-serif; fill: var(--muted); }
        svg.timeline .axis { stroke: var(--ink); }
        svg.timeline .grid { stroke: var(--rule); }
        article.flow { border-top: 1px solid var(--rule); padding-top: 4px; }
        article.flow:target { background: #fff8e1; }
        details summary { cursor: pointer; color: var(--muted); margin: 4px 0; }
        footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
        @media print { nav { display: none; } details > * { display: block; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
        """;
}
