using System.Net;
using System.Net.Sockets;
using Atlas.Simulator.Command;

namespace Atlas.Simulator.Tests;

/// <summary>What the command line answers to bad input: one line and an exit code, never a stack trace.</summary>
public sealed class CommandLineTests
{
    [Fact]
    public async Task An_unreachable_url_is_one_line_and_a_non_zero_exit()
    {
        // A port that was just free and that nothing listens on.
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var url = $"http://127.0.0.1:{((IPEndPoint)probe.LocalEndPoint!).Port}";

        var (exit, output, errors) = await RunAsync("--url", url, "--quick");

        Assert.Equal(SimulatorCommand.Failed, exit);
        Assert.Equal("", output);
        var line = Assert.Single(Lines(errors));
        Assert.Contains($"Atlas is not reachable at {url}/", line);
    }

    [Theory]
    [InlineData("--drivers", "many")]
    [InlineData("--drivers", "0")]
    [InlineData("--rides-per-second", "-1")]
    [InlineData("--accept-probability", "1.5")]
    [InlineData("--payment", "bitcoin")]
    [InlineData("--url", "localhost")]
    [InlineData("--colour", "red")]
    [InlineData("--duration")]
    public async Task Bad_options_print_the_usage_and_exit_2(params string[] args)
    {
        var (exit, output, errors) = await RunAsync(args);

        Assert.Equal(SimulatorCommand.BadOptions, exit);
        Assert.Equal("", output);
        var lines = Lines(errors);
        Assert.Equal(2, lines.Length);
        Assert.Contains(args[0], lines[0]);
        Assert.StartsWith("usage: Atlas.Simulator", lines[1]);
    }

    [Fact]
    public void Quick_runs_a_small_city_for_under_a_minute()
    {
        var options = SimulatorOptions.Parse(["--quick"], out _)!;

        Assert.True(options.Duration + options.Drain < TimeSpan.FromSeconds(50));
        // Within the token route's default 30 tokens per minute per address: drivers, riders and no more.
        Assert.True(options.Drivers + options.Riders <= 30, $"{options.Drivers} drivers + {options.Riders} riders");
    }

    [Fact]
    public void Options_given_override_the_quick_ones()
    {
        var options = SimulatorOptions.Parse(["--quick", "--drivers", "40", "--payment", "wallet", "--url", "http://atlas.example:9000"], out var error)!;

        Assert.Null(error);
        Assert.Equal((40, SimulatedPayment.Wallet, true), (options.Drivers, options.Payment, options.Quick));
        Assert.Equal(new Uri("http://atlas.example:9000/"), options.Url);
        Assert.Equal(new Uri("http://atlas.example:8086/"), options.EffectiveGrpcUrl);
    }

    private static async Task<(int Exit, string Output, string Errors)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exit = await SimulatorCommand.RunAsync(args, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
