namespace Atlas.Grains.Rides;

/// <summary>Who asks for a ride state change; each move in <see cref="RideTransitions"/> names who may make it.</summary>
[GenerateSerializer, Alias("atlas.RideActor")]
public enum RideActor
{
    Rider,
    Driver,
    System,
}
