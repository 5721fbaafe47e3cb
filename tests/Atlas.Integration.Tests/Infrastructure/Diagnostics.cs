using Xunit.Abstractions;

namespace Atlas.Integration.Tests.Infrastructure;

/// <summary>What a failing timing test prints, so that a slow run on a loaded machine can be told from a regression.</summary>
public static class Diagnostics
{
    /// <summary>The calls of one grain around an event (times in ms after <paramref name="since"/>), every fifth one.</summary>
    public static void WriteCalls(ITestOutputHelper output, IncrementLoad load, string key, long since)
    {
        foreach (var call in load.CallsOf(key).Where(c => c.EndedAt >= since - 200).OrderBy(c => c.IssuedAt).Where((_, i) => i % 5 == 0).Take(40))
        {
            var outcome = call.Value is { } value
                ? $"= {value}"
                : $"{call.Error!.GetType().Name}: {call.Error.Message[..Math.Min(200, call.Error.Message.Length)].ReplaceLineEndings(" ")}";
            output.WriteLine($"  {key}: issued {call.IssuedAt - since}, ended {call.EndedAt - since}: {outcome}");
        }
    }

    /// <summary>The membership and failure-detection lines of each silo's log.</summary>
    public static void WriteMembershipLog(ITestOutputHelper output, IEnumerable<SiloProcess> silos)
    {
        foreach (var silo in silos)
        {
            output.WriteLine($"silo {silo.Port}:");
            foreach (var message in silo.Messages.Where(m => m.Contains("probe", StringComparison.OrdinalIgnoreCase)
                                                             || m.Contains("Membership", StringComparison.Ordinal)
                                                             || m.Contains("Evicting", StringComparison.Ordinal)).TakeLast(30))
            {
                output.WriteLine($"  {message[..Math.Min(240, message.Length)].ReplaceLineEndings(" ")}");
            }
        }
    }

    /// <summary>Failures by type, each with its first message: "12 TimeoutException (Response did not arrive…)".</summary>
    public static string Summarize(IEnumerable<Exception> failures) => string.Join(", ", failures.GroupBy(f => f.GetType().Name).Select(g =>
    {
        var message = g.First().Message.ReplaceLineEndings(" ");
        return $"{g.Count()} {g.Key} ({message[..Math.Min(140, message.Length)]})";
    }));
}
