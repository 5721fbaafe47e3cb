namespace Atlas.Bench.Harness;

/// <summary>Measures several systems round after round, rotating who goes first, so drift on a shared machine hits all alike.</summary>
public static class Rounds
{
    /// <summary>Runs <paramref name="rounds"/> rounds of every system; result [s][r] is system s in round r.</summary>
    public static async Task<T[][]> AlternateAsync<T>(int rounds, BenchLog log, string what, params (string Name, Func<Task<T>> Measure)[] systems)
    {
        var results = systems.Select(_ => new T[rounds]).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < systems.Length; i++)
            {
                var s = (i + round) % systems.Length;
                results[s][round] = await systems[s].Measure();
                log.Progress($"{what} round {round + 1}/{rounds} {systems[s].Name}: {results[s][round]}");
            }
        }
        return results;
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>The median of per-round ratios a[r] / b[r]: each ratio compares measurements taken side by side.</summary>
    public static double MedianRatio(IReadOnlyList<double> numerators, IReadOnlyList<double> denominators) =>
        Median(numerators.Zip(denominators, (a, b) => a / b));
}
