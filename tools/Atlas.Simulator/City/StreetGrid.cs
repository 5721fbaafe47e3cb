namespace Atlas.Simulator.City;

/// <summary>A point on the map, in degrees.</summary>
public readonly record struct GeoPosition(double Lat, double Long);

/// <summary>
/// The simulated city: a square street grid over central Jakarta (the coordinates the platform's own documented
/// sequence uses; the built-in default city serves any place), with hot spots where riders are picked up and dropped
/// off. Work happens in metres east and north of the centre; positions leave as degrees.
/// </summary>
public sealed class StreetGrid
{
    private const double MetresPerDegreeLat = 111_320;

    /// <summary>Where demand gathers: stations, malls and offices of central Jakarta, with their relative weight.</summary>
    private static readonly (string Name, GeoPosition At, double Weight)[] KnownHotSpots =
    [
        ("Monas", new(-6.1754, 106.8272), 2),
        ("Bundaran HI", new(-6.1950, 106.8230), 3),
        ("Tanah Abang", new(-6.1865, 106.8110), 2),
        ("Menteng", new(-6.1960, 106.8390), 1),
        ("Kuningan", new(-6.2088, 106.8456), 3),
        ("Sudirman", new(-6.2100, 106.8200), 3),
        ("Senayan", new(-6.2183, 106.8020), 2),
    ];

    private readonly double _metresPerDegreeLong;
    private readonly double _totalWeight = KnownHotSpots.Sum(h => h.Weight);

    public StreetGrid(GeoPosition centre, double blockMetres = 200, int blocksFromCentre = 25)
    {
        Centre = centre;
        BlockMetres = blockMetres;
        BlocksFromCentre = blocksFromCentre;
        _metresPerDegreeLong = MetresPerDegreeLat * Math.Cos(centre.Lat * Math.PI / 180);
    }

    /// <summary>Central Jakarta, 10 km × 10 km of 200 m blocks.</summary>
    public static StreetGrid Jakarta { get; } = new(new GeoPosition(-6.2000, 106.8300));

    public GeoPosition Centre { get; }

    public double BlockMetres { get; }

    public int BlocksFromCentre { get; }

    public GeoPosition ToGeo(GridPoint point) =>
        new(Centre.Lat + point.North / MetresPerDegreeLat, Centre.Long + point.East / _metresPerDegreeLong);

    public GridPoint ToGrid(GeoPosition position) =>
        new((position.Long - Centre.Long) * _metresPerDegreeLong, (position.Lat - Centre.Lat) * MetresPerDegreeLat);

    /// <summary>The street corner nearest to a point, inside the grid.</summary>
    public GridPoint Snap(GridPoint point)
    {
        double SnapAxis(double metres) => Math.Clamp(Math.Round(metres / BlockMetres), -BlocksFromCentre, BlocksFromCentre) * BlockMetres;
        return new GridPoint(SnapAxis(point.East), SnapAxis(point.North));
    }

    public GridPoint RandomCorner(Random random) =>
        new(random.Next(-BlocksFromCentre, BlocksFromCentre + 1) * BlockMetres, random.Next(-BlocksFromCentre, BlocksFromCentre + 1) * BlockMetres);

    /// <summary>A corner near a hot spot drawn by weight (spread of about two blocks), and which hot spot it was.</summary>
    public (GridPoint Corner, int HotSpot) NearHotSpot(Random random, int avoid = -1)
    {
        int index;
        do
        {
            var draw = random.NextDouble() * _totalWeight;
            index = 0;
            while (draw > KnownHotSpots[index].Weight && index < KnownHotSpots.Length - 1)
            {
                draw -= KnownHotSpots[index].Weight;
                index++;
            }
        }
        while (index == avoid);
        var centre = ToGrid(KnownHotSpots[index].At);
        var spread = 2 * BlockMetres;
        return (Snap(new GridPoint(centre.East + Gaussian(random) * spread, centre.North + Gaussian(random) * spread)), index);
    }

    /// <summary>The way along the streets from one corner to another: one leg east-west, one north-south, in either order.</summary>
    public Route RouteBetween(GridPoint from, GridPoint to, Random random)
    {
        var turn = random.Next(2) == 0 ? new GridPoint(to.East, from.North) : new GridPoint(from.East, to.North);
        return new Route([from, turn, to]);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

/// <summary>Metres east and north of the grid's centre.</summary>
public readonly record struct GridPoint(double East, double North)
{
    public double DistanceTo(GridPoint other) => Math.Abs(other.East - East) + Math.Abs(other.North - North);
}

/// <summary>A vehicle's way through the grid: it advances along straight legs between corners.</summary>
public sealed class Route(IReadOnlyList<GridPoint> corners)
{
    private int _leg;

    public GridPoint Position { get; private set; } = corners[0];

    public bool Arrived => _leg >= corners.Count - 1 && Position == corners[^1];

    public GridPoint Destination => corners[^1];

    /// <summary>Moves up to <paramref name="metres"/> along the route; returns the metres actually driven.</summary>
    public double Advance(double metres)
    {
        var driven = 0.0;
        while (metres > 0 && _leg < corners.Count - 1)
        {
            var next = corners[_leg + 1];
            var remaining = Position.DistanceTo(next);
            if (remaining <= metres)
            {
                Position = next;
                _leg++;
                metres -= remaining;
                driven += remaining;
                continue;
            }
            var fraction = metres / remaining;
            Position = new GridPoint(Position.East + (next.East - Position.East) * fraction, Position.North + (next.North - Position.North) * fraction);
            driven += metres;
            metres = 0;
        }
        return driven;
    }
}
