using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>
/// docs/cli.md's contract for bad arguments, over the real binary, for every kind of mistake: exit code 2 and one line
/// on stderr that starts <c>miaudit:</c> and points at the command's help. Before, all of these exited 1, without the
/// prefix, most with the whole help text.
/// </summary>
public class UsageErrorTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Theory]
    [InlineData("unknown command", "'miaudit --help'", "nosuch")]
    [InlineData("unknown option", "'miaudit run --help'", "run", "--bogus")]
    [InlineData("bad enum value", "'miaudit export --help'", "export", "--format", "xml")]
    [InlineData("not a number", "'miaudit findings --help'", "findings", "--limit", "abc")]
    [InlineData("negative limit", "'miaudit findings --help'", "findings", "--limit", "-5")]
    [InlineData("missing required option", "'miaudit import-har --help'", "import-har", "some.har")]
    [InlineData("missing subcommand", "'miaudit ca --help'", "ca")]
    [InlineData("option without its value", "'miaudit export --help'", "export", "--format")]
    public async Task A_bad_argument_is_one_miaudit_line_and_exit_code_2(string kind, string hint, params string[] arguments)
    {
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(env.WorkDirectory.Path, arguments);

        Assert.True(exitCode == 2, $"{kind}: exit {exitCode}\n{stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("miaudit: ", line);
        Assert.EndsWith($"(see {hint})", line.TrimEnd());
        Assert.Equal("", stdout.Trim());
    }

    [Fact]
    public async Task Help_is_not_an_error()
    {
        var (exitCode, stdout, stderr) = await MiAuditProcess.RunAsync(env.WorkDirectory.Path, "export", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--format", stdout);
        Assert.Equal("", stderr.Trim());
    }

    [Theory]
    [InlineData("run")]
    [InlineData("export")]
    [InlineData("findings")]
    [InlineData("report")]
    [InlineData("scan")]
    [InlineData("sessions")]
    [InlineData("import-har")]
    [InlineData("rules", "test")]
    [InlineData("ca", "export")]
    public async Task Help_states_each_default_once(params string[] command)
    {
        var (exitCode, stdout, _) = await MiAuditProcess.RunAsync(env.WorkDirectory.Path, [.. command, "--help"]);

        Assert.Equal(0, exitCode);
        var twice = stdout.Split('\n').Where(line => line.Split("default", StringSplitOptions.None).Length > 2 || line.Contains("Default:", StringComparison.Ordinal));
        Assert.Empty(twice);
        Assert.DoesNotContain("<limit>", stdout);
        Assert.DoesNotContain("<method>", stdout);
    }
}
