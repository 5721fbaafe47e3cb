using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Atlas.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Atlas.Api.Tests.Errors;

/// <summary>
/// Thousands of malformed or random requests across every route: none may be answered with a 5xx, and the service
/// must still serve a normal request afterwards. Seeded, so a failure can be replayed (the seed is printed).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FuzzTests(ApiFactory api, ITestOutputHelper output)
{
    private const int Requests = 2_000;

    private static readonly (string Method, string Path)[] Routes =
    [
        ("POST", "/auth/token"),
        ("POST", "/customer/order"),
        ("POST", "/customer/ride/request"),
        ("GET", "/customer/order?id={id}"),
        ("GET", "/customer/order"),
        ("POST", "/customer/order/{id}/cancel"),
        ("GET", "/customer/rides?limit={n}"),
        ("POST", "/driver/location"),
        ("PUT", "/driver/order/status"),
        ("PUT", "/driver/profile"),
        ("GET", "/driver/profile"),
        ("POST", "/driver/online"),
        ("POST", "/driver/offline"),
        ("GET", "/driver/offer"),
        ("POST", "/driver/offer/accept"),
        ("POST", "/driver/offer/decline"),
        ("GET", "/driver/rides?limit={n}"),
        ("POST", "/wallet/topup"),
        ("GET", "/wallet"),
        ("GET", "/wallet/movements?after_version={n}&limit={n}"),
        ("GET", "/admin/rides/{id}"),
        ("GET", "/admin/drivers/{id}"),
        ("GET", "/admin/drivers/near?lat={n}&long={n}&radius_m={n}&vehicle_type={id}&limit={n}"),
        ("GET", "/admin/wallets/platform"),
        ("GET", "/admin/wallets/user/{id}"),
        ("GET", "/metrics"),
        ("GET", "/admin/orleans/{id}"),
        ("GET", "/health/ready"),
        ("GET", "/version"),
        ("GET", "/{id}/{id}"),
    ];

    private static readonly string[] Methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "FROB"];

    private static readonly string[] Fields =
    [
        "user_id", "passenger_id", "driver_id", "order_id", "pickup_lat", "pickup_long", "dropoff_lat", "dropoff_long", "vehicle_type", "city",
        "latitude", "longitude", "timestamp", "status", "reason", "name", "amount", "currency", "reference", "role", "client_secret",
    ];

    [Fact]
    public async Task Two_thousand_malformed_requests_get_no_5xx_and_the_service_still_works()
    {
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var tokens = new[]
        {
            null, "", "garbage", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4Iiwicm9sZSI6ImFkbWluIn0.",
            api.TokenFor("fuzz-rider", "rider"), api.TokenFor("fuzz-driver", "driver"), api.TokenFor("fuzz-admin", "admin"),
            api.TokenFor("fuzz-rider-2", "rider"),
        };
        var http = api.CreateClient();
        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();

        for (var i = 0; i < Requests; i++)
        {
            using var request = BuildRequest(random, tokens);
            var description = $"#{i} {request.Method} {request.RequestUri}";
            try
            {
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (status >= 500)
                {
                    failures.Add($"{description} -> {status}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (Exception exception)
            {
                failures.Add($"{description} -> {exception.GetType().Name}: {exception.Message}");
            }
        }

        output.WriteLine(string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}: {s.Value}")));
        Assert.True(failures.Count == 0, $"seed {seed}: {failures.Count} failures:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(statuses.Keys.Count(s => s is >= 400 and < 500) >= 5, "the fuzzer should provoke many kinds of client errors");

        var (riderId, rider) = await api.Scenario().RiderWithFundsAsync(0);
        var spot = Scenario.RandomSpot();
        var order = await rider.PostOkAsync("/customer/order", Scenario.OrderBody(riderId, spot, Scenario.Offset(spot, 1000, 0)));
        Assert.Equal("CREATED", order.Str("status"));
    }

    private static HttpRequestMessage BuildRequest(Random random, string?[] tokens)
    {
        var (routeMethod, template) = Routes[random.Next(Routes.Length)];
        var method = random.NextDouble() < 0.8 ? routeMethod : Methods[random.Next(Methods.Length)];
        var path = Fill(template, random);
        var request = new HttpRequestMessage(new HttpMethod(method), path);

        // Half the time the token fits the route's role, so bodies get past authorization and reach validation.
        var token = random.NextDouble() < 0.5 ? tokens[RoleTokenFor(template)] : tokens[random.Next(tokens.Length)];
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", random.NextDouble() < 0.9 ? "Bearer " + token : "Basic " + token);
        }
        if (random.NextDouble() < 0.2)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", random.NextDouble() < 0.8 ? Guid.NewGuid().ToString() : RandomText(random, 300));
        }
        if (random.NextDouble() < 0.1)
        {
            request.Headers.TryAddWithoutValidation("Accept", random.NextDouble() < 0.5 ? "text/html" : "application/xml;q=0.9, */*;q=0.1");
        }
        if (method is "POST" or "PUT" or "PATCH" || random.NextDouble() < 0.05)
        {
            var body = RandomBody(random);
            request.Content = new ByteArrayContent(body);
            var contentType = random.Next(10) switch
            {
                < 6 => "application/json",
                6 => "text/plain",
                7 => "application/x-www-form-urlencoded",
                8 => "application/json; charset=utf-16",
                _ => null,
            };
            if (contentType is not null)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            }
        }
        return request;
    }

    /// <summary>Index into the token list of a token whose role may use the route.</summary>
    private static int RoleTokenFor(string template) => template switch
    {
        _ when template.StartsWith("/driver", StringComparison.Ordinal) => 6,
        _ when template.StartsWith("/admin", StringComparison.Ordinal) || template.StartsWith("/metrics", StringComparison.Ordinal) => 7,
        _ => 5,
    };

    private static string Fill(string template, Random random)
    {
        var text = new StringBuilder(template);
        while (text.ToString().Contains("{id}"))
        {
            var index = text.ToString().IndexOf("{id}", StringComparison.Ordinal);
            text.Remove(index, 4).Insert(index, Uri.EscapeDataString(RandomId(random)));
        }
        while (text.ToString().Contains("{n}"))
        {
            var index = text.ToString().IndexOf("{n}", StringComparison.Ordinal);
            text.Remove(index, 3).Insert(index, Uri.EscapeDataString(RandomScalarText(random)));
        }
        return text.ToString();
    }

    private static string RandomId(Random random) => random.Next(6) switch
    {
        0 => Guid.NewGuid().ToString("N"),
        1 => "fuzz-rider",
        2 => RandomText(random, random.Next(1, 40)),
        3 => new string('a', random.Next(100, 400)),
        4 => "%2500",
        _ => random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static string RandomScalarText(Random random) => random.Next(8) switch
    {
        0 => "-1",
        1 => "NaN",
        2 => "1e400",
        3 => "99999999999999999999",
        4 => RandomText(random, 5),
        5 => "",
        6 => (random.NextDouble() * 200 - 100).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => random.Next(0, 50).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private static byte[] RandomBody(Random random)
    {
        switch (random.Next(10))
        {
            case 0:
                var bytes = new byte[random.Next(0, 300)];
                random.NextBytes(bytes);
                return bytes;
            case 1:
                var valid = RandomJsonObject(random);
                return Encoding.UTF8.GetBytes(valid[..random.Next(0, valid.Length)]); // truncated
            case 2:
                return Encoding.UTF8.GetBytes(random.Next(4) switch { 0 => "null", 1 => "[]", 2 => "\"text\"", _ => "42" });
            case 3:
                return Encoding.UTF8.GetBytes(new string('[', random.Next(10, 200)) + new string(']', random.Next(0, 200)));
            case 4:
                return [];
            default:
                return Encoding.UTF8.GetBytes(RandomJsonObject(random));
        }
    }

    /// <summary>An object with a random subset of the API's fields, each holding a random (often wrong) value.</summary>
    private static string RandomJsonObject(Random random)
    {
        var members = Fields.Where(_ => random.NextDouble() < 0.5).Select(f => $"\"{f}\":{RandomJsonValue(random, f)}");
        return "{" + string.Join(",", members) + "}";
    }

    private static string RandomJsonValue(Random random, string field) => random.Next(14) switch
    {
        0 => "null",
        1 => "true",
        2 => "\"NaN\"",
        3 => "1e400",
        4 => "-1e400",
        5 => "123456789012345678901234567890",
        6 => "-5",
        7 => "{\"nested\":[1,2,{\"deeper\":null}]}",
        8 => "[1,2,3]",
        9 => "\"" + RandomText(random, random.Next(0, 50)).Replace("\\", "").Replace("\"", "") + "\"",
        10 => (random.NextDouble() * 400 - 200).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        11 => field switch
        {
            "user_id" or "passenger_id" => "\"fuzz-rider\"",
            "driver_id" => "\"fuzz-driver\"",
            "vehicle_type" => "\"economy\"",
            "currency" => "\"EUR\"",
            "status" => "\"FINISHED\"",
            "role" => "\"admin\"",
            "timestamp" => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => random.Next(1, 90).ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        12 => "\"" + new string('x', random.Next(1000, 20_000)) + "\"",
        _ => random.Next(-1000, 1000).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Random characters; never NUL, which the in-memory test server cannot put in a path (Kestrel answers it with 400).</summary>
    private static string RandomText(Random random, int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = random.Next(5) switch
            {
                0 => (char)random.Next(0x20, 0x7F),
                1 => (char)random.Next(0xA0, 0x2FFF),
                2 => (char)random.Next(1, 0x20),
                _ => (char)random.Next('a', 'z' + 1),
            };
        }
        return new string(chars);
    }
}
