using Atlas.Grains.Fares;

namespace Atlas.Grains.Markets;

/// <summary>A vehicle class of a city: its name (what rides and drivers store), the other names apps send, seats and prices.</summary>
public sealed record VehicleClass(string Name, IReadOnlyList<string> Aliases, int Seats, FarePolicy Fare);
