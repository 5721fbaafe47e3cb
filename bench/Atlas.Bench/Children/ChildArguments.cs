using System.Globalization;

namespace Atlas.Bench.Children;

/// <summary>The <c>--name value</c> options of a child sub-command.</summary>
public sealed class ChildArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public ChildArguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i + 1 < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Expected an option, got '{args[i]}'.");
            }
            _values[args[i][2..]] = args[i + 1];
        }
        if (args.Count % 2 != 0)
        {
            throw new ArgumentException($"Option '{args[^1]}' has no value.");
        }
    }

    public string String(string name) =>
        _values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"Missing option --{name}.");

    public int Int(string name) => int.Parse(String(name), CultureInfo.InvariantCulture);
}
