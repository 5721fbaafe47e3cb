using Atlas.Bench.RemoteCalls;

namespace Atlas.Bench.Children;

/// <summary>
/// Hidden sub-commands: what the bench runs in its own child processes (servers of multi-process scenarios). They are
/// not scenarios and are not listed.
/// </summary>
public static class ChildCommands
{
    private static readonly Dictionary<string, Func<IReadOnlyList<string>, Task<int>>> Commands = new(StringComparer.Ordinal)
    {
        [RemoteSiloChild.Command] = RemoteSiloChild.RunAsync,
        [RemoteEchoChild.Command] = RemoteEchoChild.RunAsync,
    };

    public static Func<IReadOnlyList<string>, Task<int>>? Find(string name) => Commands.GetValueOrDefault(name);
}
