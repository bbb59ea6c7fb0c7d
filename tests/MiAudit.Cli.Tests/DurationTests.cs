using MiAudit.Testing;

namespace MiAudit.Cli.Tests;

/// <summary>The durations of <c>--idle-timeout</c> and <c>--upgraded-idle-timeout</c>, through the real binary.</summary>
public class DurationTests(CliEnvironment env) : IClassFixture<CliEnvironment>
{
    [Theory]
    [InlineData("--idle-timeout", "abc")]
    [InlineData("--idle-timeout", "10")]
    [InlineData("--idle-timeout", "-5m")]
    [InlineData("--idle-timeout", "none")]
    [InlineData("--upgraded-idle-timeout", "99999999h")]
    public async Task What_is_not_a_duration_is_one_usage_line_naming_the_option(string option, string value)
    {
        var (exitCode, _, stderr) = await MiAuditProcess.RunAsync(env.WorkDirectory.Path, "run", "--listen", "127.0.0.1:0", option, value);

        Assert.Equal(2, exitCode);
        Assert.StartsWith($"miaudit: {option}", Assert.Single(stderr.Trim().Split('\n')));
    }

    [Fact]
    public async Task Help_shows_the_proxys_own_defaults()
    {
        var (exitCode, stdout, _) = await MiAuditProcess.RunAsync(env.WorkDirectory.Path, "run", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains(stdout.Split('\n'), line => line.Contains("--idle-timeout") && line.Contains("10m"));
        Assert.Contains(stdout.Split('\n'), line => line.Contains("--upgraded-idle-timeout") && line.Contains("none"));
    }
}
