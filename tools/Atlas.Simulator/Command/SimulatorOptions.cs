using System.Globalization;

namespace Atlas.Simulator.Command;

/// <summary>How riders pay in the simulated city.</summary>
public enum SimulatedPayment
{
    Cash,
    Wallet,
}

/// <summary>How drivers send their positions.</summary>
public enum PositionTransport
{
    /// <summary>One <c>DriverPositions.StreamPositions</c> call per online driver; HTTP if the gRPC port does not answer.</summary>
    Grpc,
    Http,
}

/// <summary>Everything a simulation run is told: the city's size and pace, and where Atlas is.</summary>
public sealed record SimulatorOptions
{
    public const string Usage =
        "usage: Atlas.Simulator [--url http://localhost:8085] [--grpc-url http://localhost:8086] [--drivers N] [--rides-per-second R] " +
        "[--duration S] [--accept-probability P] [--payment cash|wallet] [--positions grpc|http] [--city NAME] [--speed-kmh V] " +
        "[--progress-every S] [--drain S] [--seed N] [--signing-key KEY] [--quick]";

    public Uri Url { get; init; } = new("http://localhost:8085");

    /// <summary>The API's gRPC (h2c) port; by default the API's host on port 8086 (<c>Atlas:Grpc:Port</c>).</summary>
    public Uri? GrpcUrl { get; init; }

    public int Drivers { get; init; } = 50;

    public double RidesPerSecond { get; init; } = 1;

    /// <summary>How long riders keep requesting; open rides then get <see cref="Drain"/> to finish.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// How long the city runs before the clock starts (default none): riders request and drivers drive, but nothing is
    /// counted, so that the measured window sees rides in every stage (the bench's steady state).
    /// </summary>
    public TimeSpan Ramp { get; init; } = TimeSpan.Zero;

    /// <summary>After <see cref="Duration"/>: how long rides in progress may take to finish before they are wound up.</summary>
    public TimeSpan Drain { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>The chance a driver accepts an offer (cities with offer dispatch).</summary>
    public double AcceptProbability { get; init; } = 0.9;

    public SimulatedPayment Payment { get; init; } = SimulatedPayment.Cash;

    public PositionTransport Positions { get; init; } = PositionTransport.Grpc;

    /// <summary>The city riders request in and drivers register in; null: the platform's default city.</summary>
    public string? City { get; init; }

    /// <summary>
    /// How fast vehicles drive along the street grid. The default is twenty times a city's traffic, so that a ride takes
    /// about half a minute instead of a quarter of an hour (positions still go every second, stamped with the real time).
    /// </summary>
    public double SpeedKmh { get; init; } = 600;

    public TimeSpan ProgressEvery { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Each driver sends its position this often (the API takes up to 20 per 10 s per driver over HTTP).</summary>
    public TimeSpan PositionEvery { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Idle drivers ask for their ride or offer this often; riders poll their open order at twice this.</summary>
    public TimeSpan PollEvery { get; init; } = TimeSpan.FromSeconds(1);

    public int Seed { get; init; } = Environment.TickCount;

    /// <summary>
    /// The platform's <c>Auth:SigningKey</c>: tokens are minted here instead of asked for at <c>POST /auth/token</c>
    /// (which a platform with a key only serves with client secrets, and which is rate limited per address).
    /// </summary>
    public string? SigningKey { get; init; }

    public string Issuer { get; init; } = "atlas";

    public string Audience { get; init; } = "atlas-api";

    /// <summary>Ids of this run's riders and drivers start with it, so runs never meet each other's open rides.</summary>
    public string RunId { get; init; } = "sim-" + Guid.NewGuid().ToString("N")[..8];

    public bool Quick { get; init; }

    /// <summary>The gRPC address to use: <see cref="GrpcUrl"/>, else the API's host on port 8086.</summary>
    public Uri EffectiveGrpcUrl => GrpcUrl ?? new UriBuilder(Url) { Port = 8086, Path = "/" }.Uri;

    /// <summary>
    /// Riders set up before the clock runs: each is busy from its request until its ride ends (about 6 km of driving
    /// to the pickup and on to the drop-off, plus a few seconds at either end), so enough for that long of requests.
    /// More join during the run if every one has a ride open.
    /// </summary>
    public int Riders => Math.Max(2, (int)Math.Ceiling(RidesPerSecond * (6_000 / (SpeedKmh / 3.6) + 5) * 1.2));

    /// <summary>Parses the command line; null with <paramref name="error"/> set when it is not understood.</summary>
    public static SimulatorOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var quick = args.Contains("--quick");
            // Quick: a small, fast city for under a minute, needing fewer tokens than the token route's default 30 per minute.
        var options = quick
            ? new SimulatorOptions { Quick = true, Drivers = 10, RidesPerSecond = 0.5, Duration = TimeSpan.FromSeconds(20), Drain = TimeSpan.FromSeconds(25), SpeedKmh = 1_200, ProgressEvery = TimeSpan.FromSeconds(3) }
            : new SimulatorOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            if (name == "--quick")
            {
                continue;
            }
            if (!name.StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                error = i + 1 >= args.Count && name.StartsWith("--", StringComparison.Ordinal) ? $"{name} needs a value" : $"unknown argument '{name}'";
                return null;
            }
            var value = args[++i];
            try
            {
                options = name switch
                {
                    "--url" => options with { Url = ParseUrl(value) },
                    "--grpc-url" => options with { GrpcUrl = ParseUrl(value) },
                    "--drivers" => options with { Drivers = ParseInt(value, 1, 100_000) },
                    "--rides-per-second" => options with { RidesPerSecond = ParseDouble(value, 0, 10_000) },
                    "--duration" => options with { Duration = TimeSpan.FromSeconds(ParseDouble(value, 1, 86_400)) },
                    "--drain" => options with { Drain = TimeSpan.FromSeconds(ParseDouble(value, 0, 3_600)) },
                    "--accept-probability" => options with { AcceptProbability = ParseDouble(value, 0, 1) },
                    "--payment" => options with { Payment = ParseEnum<SimulatedPayment>(value) },
                    "--positions" => options with { Positions = ParseEnum<PositionTransport>(value) },
                    "--city" => options with { City = value.Length is > 0 and <= 64 ? value : throw new FormatException("a city name of 1-64 characters") },
                    "--speed-kmh" => options with { SpeedKmh = ParseDouble(value, 1, 5_000) },
                    "--progress-every" => options with { ProgressEvery = TimeSpan.FromSeconds(ParseDouble(value, 0.2, 3_600)) },
                    "--seed" => options with { Seed = ParseInt(value, int.MinValue, int.MaxValue) },
                    "--signing-key" => options with { SigningKey = value.Length >= 32 ? value : throw new FormatException("a key of at least 32 characters, the platform's Auth:SigningKey") },
                    "--issuer" => options with { Issuer = value },
                    "--audience" => options with { Audience = value },
                    _ => throw new ArgumentException($"unknown option '{name}'"),
                };
            }
            catch (FormatException e)
            {
                error = $"{name} '{value}': expected {e.Message}";
                return null;
            }
            catch (ArgumentException e)
            {
                error = e.Message;
                return null;
            }
        }
        return options;
    }

    private static Uri ParseUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new FormatException("an http:// or https:// URL");

    private static int ParseInt(string value, int min, int max) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"a whole number from {min} to {max}");

    private static double ParseDouble(string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && double.IsFinite(x) && x >= min && x <= max
            ? x
            : throw new FormatException($"a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");

    private static T ParseEnum<T>(string value) where T : struct, Enum =>
        Enum.TryParse<T>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !int.TryParse(value, out _)
            ? parsed
            : throw new FormatException(string.Join(" or ", Enum.GetNames<T>().Select(n => n.ToLowerInvariant())));
}
