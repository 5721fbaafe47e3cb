using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;
using Atlas.Grains.Markets;

namespace Atlas.Api.Validation;

/// <summary>
/// Collects what is wrong with a request, field by field (named as on the wire), and reads valid values out of it.
/// An endpoint checks everything first and answers one 400 listing every problem.
/// </summary>
public sealed class RequestErrors
{
    /// <summary>Longest id accepted (user, ride, reference); ids become grain keys and log fields.</summary>
    public const int MaxIdLength = 128;

    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool Any => _errors.Count > 0;

    public void Add(string field, string message)
    {
        if (!_errors.TryGetValue(field, out var messages))
        {
            _errors[field] = messages = [];
        }
        messages.Add(message);
    }

    public IDictionary<string, string[]> ToDictionary() => _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);

    /// <summary>Whether <paramref name="value"/> can be an id: 1–128 characters of letters, digits and <c>- _ . : @</c>.</summary>
    public static bool IsValidId(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxIdLength)
        {
            return false;
        }
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@'))
            {
                return false;
            }
        }
        return true;
    }

    public string Id(string field, string? value)
    {
        if (value is null)
        {
            Add(field, "is required.");
            return "";
        }
        if (!IsValidId(value))
        {
            Add(field, $"must be 1 to {MaxIdLength} characters of letters, digits, '-', '_', '.', ':' or '@'.");
            return "";
        }
        return value;
    }

    public string? OptionalId(string field, string? value) => value is null ? null : Id(field, value);

    public double Latitude(string field, double? value)
    {
        if (value is not { } latitude)
        {
            Add(field, "is required.");
            return 0;
        }
        if (!GeoPoint.IsValidLatitude(latitude))
        {
            Add(field, "must be a latitude in degrees between -90 and 90.");
            return 0;
        }
        return latitude;
    }

    public double Longitude(string field, double? value)
    {
        if (value is not { } longitude)
        {
            Add(field, "is required.");
            return 0;
        }
        if (!GeoPoint.IsValidLongitude(longitude))
        {
            Add(field, "must be a longitude in degrees between -180 and 180.");
            return 0;
        }
        return longitude;
    }

    public GeoPoint Point(string latitudeField, double? latitude, string longitudeField, double? longitude) =>
        new(Latitude(latitudeField, latitude), Longitude(longitudeField, longitude));

    /// <summary>The city named <paramref name="value"/>, or the default city when absent; null (with an error naming the cities) when Atlas does not serve it.</summary>
    public CityMarket? City(string field, string? value, MarketCatalog markets)
    {
        if (value is not null && OptionalText(field, value, 64) is null)
        {
            return null;
        }
        if (markets.TryGetCity(value, out var city))
        {
            return city;
        }
        Add(field, $"must be a city Atlas serves: {string.Join(", ", markets.CityNames)}.");
        return null;
    }

    /// <summary>
    /// The class name (canonical) of the class named or aliased <paramref name="value"/> in <paramref name="city"/>, the
    /// city's default class when absent and <paramref name="required"/> is false; null with an error naming the city's classes.
    /// </summary>
    public string? VehicleClass(string field, string? value, CityMarket? city, bool required = false)
    {
        if (value is null)
        {
            if (required)
            {
                Add(field, "is required.");
            }
            return required ? null : city?.DefaultClass.Name;
        }
        if (city is null)
        {
            return null; // the city's own error says why
        }
        if (city.TryGetVehicleClass(value, out var found))
        {
            return found.Name;
        }
        Add(field, $"must be a vehicle class of {city.Name}: {DescribeClasses(city)}.");
        return null;
    }

    /// <summary>The payment method named <paramref name="value"/> if <paramref name="city"/> takes it, the city's default when absent.</summary>
    public PaymentMethod? PaymentMethod(string field, string? value, CityMarket? city)
    {
        if (city is null)
        {
            return null;
        }
        if (value is null)
        {
            return city.DefaultPaymentMethod;
        }
        if (PaymentMethods.TryParse(value, out var method) && city.PaymentMethods.Contains(method))
        {
            return method;
        }
        Add(field, $"must be a payment method {city.Name} takes: {string.Join(", ", city.PaymentMethods.Select(m => m.ToWireName()))}.");
        return null;
    }

    /// <summary><c>moto (go-ride, ojek), economy (car), …</c>: names with the aliases apps may send instead.</summary>
    public static string DescribeClasses(CityMarket city) => string.Join(", ", city.Classes.Select(c =>
        c.Aliases.Count == 0 ? c.Name : $"{c.Name} ({string.Join(", ", c.Aliases)})"));

    public string? OptionalText(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            return null;
        }
        if (string.IsNullOrWhiteSpace(value) || value.Length > maxLength || value.Any(char.IsControl))
        {
            Add(field, $"must be 1 to {maxLength} printable characters.");
            return null;
        }
        return value.Trim();
    }

    public string Text(string field, string? value, int maxLength)
    {
        if (value is null)
        {
            Add(field, "is required.");
            return "";
        }
        return OptionalText(field, value, maxLength) ?? "";
    }

    public Currency CurrencyCode(string field, string? value)
    {
        if (Currency.TryParse(value, out var currency))
        {
            return currency;
        }
        Add(field, value is null ? "is required." : "must be a three-letter upper-case currency code, e.g. EUR.");
        return default;
    }

    /// <summary>A positive amount in minor units, at most <paramref name="max"/>.</summary>
    public long Amount(string field, long? value, long max)
    {
        if (value is not { } amount)
        {
            Add(field, "is required.");
            return 0;
        }
        if (amount <= 0 || amount > max)
        {
            Add(field, $"must be a whole number of minor units between 1 and {max}.");
            return 0;
        }
        return amount;
    }

    /// <summary>An optional RFC 3339 time with an offset (e.g. <c>2026-11-22T10:00:00Z</c>).</summary>
    public DateTimeOffset? OptionalTime(string field, string? value)
    {
        if (value is null)
        {
            return null;
        }
        if (DateTimeOffset.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var time) &&
            (value.EndsWith('Z') || value.EndsWith('z') || value.Contains('+') || value.LastIndexOf('-') > 9))
        {
            return time;
        }
        Add(field, "Must be an RFC 3339 time with an offset, e.g. 2026-11-22T10:00:00Z.");
        return null;
    }

    /// <summary>An optional integer query parameter between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public int Int(string field, string? value, int fallback, int min, int max)
    {
        if (value is null)
        {
            return fallback;
        }
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ||
            parsed < min || parsed > max)
        {
            Add(field, $"must be a whole number between {min} and {max}.");
            return fallback;
        }
        return parsed;
    }

    public long Long(string field, string? value, long fallback, long min, long max)
    {
        if (value is null)
        {
            return fallback;
        }
        if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ||
            parsed < min || parsed > max)
        {
            Add(field, $"must be a whole number between {min} and {max}.");
            return fallback;
        }
        return parsed;
    }

    /// <summary>A required number from a query string (invariant culture, finite).</summary>
    public double QueryNumber(string field, string? value, double min, double max)
    {
        if (value is null)
        {
            Add(field, "is required.");
            return 0;
        }
        if (!double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ||
            !double.IsFinite(parsed) || parsed < min || parsed > max)
        {
            Add(field, $"must be a number between {min} and {max}.");
            return 0;
        }
        return parsed;
    }
}
