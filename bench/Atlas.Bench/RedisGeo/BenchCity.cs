using Atlas.Grains.Geo;

namespace Atlas.Bench.RedisGeo;

/// <summary>A square city of uniformly spread drivers (seeded, so every run sees the same city).</summary>
internal sealed class BenchCity
{
    /// <summary>Where the city is centred (Paris).</summary>
    public static readonly GeoPoint Center = new(48.8566, 2.3522);

    private const double MetersPerDegree = GeoMath.MetersPerDegree;

    public BenchCity(int drivers, double sideMeters, int seed)
    {
        SideMeters = sideMeters;
        Random = new Random(seed);
        Ids = new string[drivers];
        Positions = new GeoPoint[drivers];
        for (var i = 0; i < drivers; i++)
        {
            Ids[i] = $"d{i:D6}";
            Positions[i] = RandomPoint();
        }
    }

    public double SideMeters { get; }

    public Random Random { get; }

    public string[] Ids { get; }

    public GeoPoint[] Positions { get; }

    public int Count => Ids.Length;

    /// <summary>A uniformly random point of the city.</summary>
    public GeoPoint RandomPoint() => Offset(Center, (Random.NextDouble() - 0.5) * SideMeters, (Random.NextDouble() - 0.5) * SideMeters);

    /// <summary>A point <paramref name="north"/> m north and <paramref name="east"/> m east of <paramref name="from"/>.</summary>
    public static GeoPoint Offset(GeoPoint from, double north, double east) => new(
        from.Latitude + (north / MetersPerDegree),
        from.Longitude + (east / (MetersPerDegree * Math.Cos(from.Latitude * Math.PI / 180))));
}
