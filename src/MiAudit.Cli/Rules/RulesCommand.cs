using System.CommandLine;
using MiAudit.Cli.Options;
using MiAudit.Detection.Findings;
using MiAudit.Detection.Rules;
using MiAudit.Flows;
using MiAudit.Storage;
using MiAudit.Storage.Har;
using Spectre.Console;

namespace MiAudit.Cli.Rules;

/// <summary><c>miaudit rules list|test|show-builtin</c>: see which rules are in force and which fire on a sample.</summary>
public static class RulesCommand
{
    public static Command Create()
    {
        var rules = new Command("rules", "List the rules in force, or test them on a sample request or HAR file");
        rules.Subcommands.Add(List());
        rules.Subcommands.Add(Test());
        rules.Subcommands.Add(ShowBuiltIn());
        return rules;
    }

    private static Command List()
    {
        var detection = new DetectionOptions();
        var list = new Command("list", "List every rule: built-in, from --rules files and from --host-list files");
        detection.AddTo(list);
        list.SetAction(result => Run(() =>
        {
            var setup = detection.Bind(result);
            var table = new Table().AddColumns("id", "kind", "severity", "category", "enabled", "title", "defined in");
            foreach (var rule in setup.Rules.Rules)
            {
                table.AddRow(Markup.Escape(rule.Id), RuleFileReader.KindName(rule.Kind), rule.Severity.ToName(), Markup.Escape(rule.Category),
                    rule.Enabled ? "yes" : "[grey]no[/]", Markup.Escape(rule.Title), Markup.Escape(rule.Source));
            }

            TableOutput.Write(table);
            Console.WriteLine($"{setup.Rules.Rules.Count} rules, rule set {setup.Rules.Hash}");
            return ExitCodes.Ok;
        }));
        return list;
    }

    private static Command Test()
    {
        var detection = new DetectionOptions();
        var har = new Option<FileInfo?>("--har") { Description = "Test every request of this HAR file (navigations in it are learned first)", HelpName = "FILE" };
        var url = new Option<string?>("--url") { Description = "Test one request to this URL", HelpName = "URL" };
        var method = new Option<string>("--method", "-X") { Description = "Method of the --url request", HelpName = "METHOD", DefaultValueFactory = _ => "GET" };
        var headers = new Option<string[]>("--header", "-H") { Description = "A header of the --url request, 'Name: value' (repeatable)", HelpName = "HEADER" };
        var body = new Option<FileInfo?>("--body-file") { Description = "Body of the --url request", HelpName = "FILE" };
        var visited = new Option<string[]>("--visited") { Description = "Treat this URL as visited before the request (repeatable), to test URL-leak rules", HelpName = "URL" };
        var test = new Command("test", """
            Show which rules fire on a sample, with each finding's value and leaf path.

            Examples:
              miaudit rules test --har capture.har --device-profile phone.yaml
              miaudit rules test --url 'https://sa.tracker.example.net/sa.gif?project=p&data=eyJldmVudCI6IiRwYWdldmlldyIsInByb3BlcnRpZXMiOnsiJHVybCI6Imh0dHBzOi8vbmV3cy5leGFtcGxlLmNvbS9hIn19' --visited https://news.example.com/a
              miaudit rules test --url https://t.example.net/c -X POST -H 'Content-Type: application/json' --body-file event.json
            """) { har, url, method, headers, body, visited };
        detection.AddTo(test);
        test.SetAction(result => Run(() =>
        {
            var engine = detection.Bind(result).CreateEngine();
            List<Flow> flows;
            var visitedPages = 0; // --visited pages are context for the sample, not requests under test
            if (result.GetValue(har) is { } harFile)
            {
                using var input = harFile.OpenRead();
                flows = HarReader.Read(input, harFile.FullName).ToList();
            }
            else if (result.GetValue(url) is { } target)
            {
                var pages = result.GetValue(visited) ?? [];
                visitedPages = pages.Length;
                flows = [.. pages.Select(Navigation), Sample(target, result.GetValue(method)!, result.GetValue(headers) ?? [], result.GetValue(body))];
            }
            else
            {
                throw new UsageException("give --har FILE or --url URL");
            }

            var total = 0;
            foreach (var (flow, analysis) in engine.AnalyzeAll(flows))
            {
                foreach (var finding in analysis.Findings)
                {
                    total++;
                    Console.WriteLine($"{flow.Method} {flow.Url}");
                    Console.WriteLine($"  {finding.Severity.ToName(),-8} {finding.RuleId}: {finding.Value}");
                    Console.WriteLine($"           as {finding.MatchedAs}");
                    Console.WriteLine($"           at {finding.LeafPath}");
                }

                foreach (var limit in analysis.LimitsReached)
                {
                    Console.WriteLine($"{flow.Method} {flow.Url}\n  limit: {limit}");
                }
            }

            var tested = flows.Count - visitedPages;
            Console.WriteLine($"{total} findings in {tested} request{(tested == 1 ? "" : "s")}{(visitedPages == 0 ? "" : $" (after {visitedPages} visited page{(visitedPages == 1 ? "" : "s")})")}");
            return ExitCodes.Ok;
        }));
        return test;
    }

    private static Command ShowBuiltIn()
    {
        var show = new Command("show-builtin", "Print the built-in rule file (a starting point for your own rules)");
        show.SetAction(_ =>
        {
            Console.Write(RuleSet.BuiltInText());
            return ExitCodes.Ok;
        });
        return show;
    }

    private static Flow Navigation(string url) =>
        Sample(url, "GET", ["Sec-Fetch-Mode: navigate", "Sec-Fetch-Dest: document"], null) with { StartedAt = DateTimeOffset.UtcNow.AddSeconds(-1) };

    private static Flow Sample(string url, string method, string[] headers, FileInfo? body)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new UsageException($"--url '{url}' is not an http(s) URL");
        }

        var fields = new List<HeaderField> { new("Host", uri.Authority) };
        foreach (var header in headers)
        {
            var colon = header.IndexOf(':');
            fields.Add(colon > 0 ? new HeaderField(header[..colon].Trim(), header[(colon + 1)..].Trim()) : throw new UsageException($"header '{header}' is not 'Name: value'"));
        }

        var bytes = body is null ? [] : File.ReadAllBytes(body.FullName);
        var afterAuthority = url.IndexOf('/', url.IndexOf("://", StringComparison.Ordinal) + 3);
        var pathAndQuery = afterAuthority < 0 ? "/" : url[afterAuthority..].Split('#')[0];
        var queryStart = pathAndQuery.IndexOf('?');
        var now = DateTimeOffset.UtcNow;
        return new Flow
        {
            StartedAt = now,
            CompletedAt = now,
            ClientAddress = "sample",
            Transport = uri.Scheme == "https" ? FlowTransport.InterceptedTls : FlowTransport.PlainHttp,
            Method = method.ToUpperInvariant(),
            Scheme = uri.Scheme,
            Host = uri.Host,
            Port = uri.Port,
            Path = queryStart < 0 ? pathAndQuery : pathAndQuery[..queryStart],
            Query = queryStart < 0 ? "" : pathAndQuery[queryStart..],
            RequestHeaders = fields,
            RequestBody = CapturedBody.From(bytes),
        };
    }

    private static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (UsageException e)
        {
            return Report.Error(e.Message, ExitCodes.Usage);
        }
        catch (Exception e) when (e is StorageException or IOException)
        {
            return Report.Error(e.Message, ExitCodes.Failure);
        }
    }
}
