using Atlas.Grains.Geo;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;

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

    public VehicleType Vehicle(string field, string? value, VehicleType? fallback)
    {
        if (value is null && fallback is { } type)
        {
            return type;
        }
        if (VehicleTypes.TryParse(value, out var parsed))
        {
            return parsed;
        }
        Add(field, value is null
            ? "is required."
            : $"must be one of {string.Join(", ", VehicleTypes.All.Select(t => t.ToWireName()))}.");
        return default;
    }

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
