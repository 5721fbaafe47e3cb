namespace Atlas.Simulator.Figures;

/// <summary>Durations in milliseconds, kept whole so that percentiles are exact (a run holds at most a few million).</summary>
public sealed class Samples
{
    private readonly List<double> _values = [];
    private readonly Lock _lock = new();

    public void Add(double milliseconds)
    {
        lock (_lock)
        {
            _values.Add(milliseconds);
        }
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _values.Count;
            }
        }
    }

    /// <summary>The given percentiles (0–100) by nearest rank; NaN when there is no sample.</summary>
    public double[] Percentiles(params double[] percentiles)
    {
        double[] sorted;
        lock (_lock)
        {
            sorted = [.. _values];
        }
        Array.Sort(sorted);
        return [.. percentiles.Select(p => sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)])];
    }
}
