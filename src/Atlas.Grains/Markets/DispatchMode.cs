using System.Diagnostics.CodeAnalysis;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Markets;

/// <summary>How a city's rides find their driver.</summary>
[GenerateSerializer, Alias("atlas.DispatchMode")]
public enum DispatchMode
{
    /// <summary>The ride is offered to the nearest driver, who accepts or declines within a time limit; then the next.</summary>
    Offer,

    /// <summary>The nearest claimable driver is matched at once, without an accept step (what the existing driver app expects).</summary>
    Assign,
}

/// <summary>Wire names (<c>offer|assign</c>) for <see cref="DispatchMode"/>.</summary>
public static class DispatchModes
{
    public static IReadOnlyList<DispatchMode> All { get; } = Enum.GetValues<DispatchMode>();

    public static string ToWireName(this DispatchMode mode) => mode switch
    {
        DispatchMode.Offer => "offer",
        DispatchMode.Assign => "assign",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Not a defined dispatch mode."),
    };

    public static bool TryParse([NotNullWhen(true)] string? value, out DispatchMode mode) =>
        WireNames.TryParse(value, All, static v => v.ToWireName(), out mode);
}
