using System.Net;
using Atlas.Bench.Baselines;
using Atlas.Bench.Children;

namespace Atlas.Bench.RemoteCalls;

/// <summary>
/// The hidden <c>remote-echo --port P</c> sub-command: the baseline's <see cref="EchoServer"/> on 127.0.0.1:P. Prints
/// <c>ready</c> once listening; exits when its standard input closes or on SIGTERM.
/// </summary>
public static class RemoteEchoChild
{
    public const string Command = "remote-echo";

    public static async Task<int> RunAsync(IReadOnlyList<string> args)
    {
        var options = new ChildArguments(args);
        using var lifetime = new ChildLifetime();
        await using var server = new EchoServer(new IPEndPoint(IPAddress.Loopback, options.Int("port")));
        server.Start();
        ChildLifetime.SignalReady();
        await lifetime.WaitAsync();
        return 0;
    }
}
