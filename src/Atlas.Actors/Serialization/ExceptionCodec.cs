using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Text.Json;

namespace Atlas.Actors.Serialization;

/// <summary>
/// Carries exceptions between processes: type, message, stack trace and the exception's own public properties.
/// The receiver recreates the same type through the public constructor whose parameters match those properties
/// (and <c>message</c>) by name, so callers can catch the exact exception a grain threw; otherwise it falls back
/// to <see cref="RemoteGrainException"/> naming the original type.
/// </summary>
internal static class ExceptionCodec
{
    private static readonly HashSet<string> BaseProperties = typeof(Exception).GetProperties().Select(p => p.Name).ToHashSet();
    private static readonly ConcurrentDictionary<Type, PropertyInfo[]> PropertiesByType = new();

    public static void Write(Utf8JsonWriter writer, Exception exception, JsonSerializerOptions options)
    {
        var type = exception.GetType();
        writer.WriteStartObject();
        writer.WriteString("type", $"{type.FullName}, {type.Assembly.GetName().Name}");
        writer.WriteString("message", OwnMessage(exception));
        writer.WriteString("stack", exception.StackTrace);
        writer.WriteStartObject("properties");
        foreach (var property in PropertiesOf(type))
        {
            byte[] value;
            try
            {
                value = JsonSerializer.SerializeToUtf8Bytes(property.GetValue(exception), property.PropertyType, options);
            }
            catch (Exception)
            {
                continue; // a property that does not serialize is simply not carried
            }
            writer.WritePropertyName(property.Name);
            writer.WriteRawValue(value, skipInputValidation: true);
        }
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    public static Exception Read(ReadOnlySpan<byte> payload, JsonSerializerOptions options)
    {
        string typeName = "", message = "";
        string? stack = null;
        Dictionary<string, JsonElement> properties = new(StringComparer.OrdinalIgnoreCase);
        try
        {
            using var document = JsonDocument.Parse(payload.ToArray());
            var root = document.RootElement;
            typeName = root.GetProperty("type").GetString() ?? "";
            message = root.GetProperty("message").GetString() ?? "";
            stack = root.TryGetProperty("stack", out var s) ? s.GetString() : null;
            foreach (var property in root.GetProperty("properties").EnumerateObject())
            {
                properties[property.Name] = property.Value.Clone();
            }
        }
        catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return new GrainSerializationException($"An error response could not be read: {exception.Message}", exception);
        }

        var recreated = TryRecreate(typeName, message, properties, options) ?? new RemoteGrainException(typeName.Split(',')[0], message, stack);
        if (stack is not null)
        {
            ExceptionDispatchInfo.SetRemoteStackTrace(recreated, stack);
        }
        return recreated;
    }

    private static Exception? TryRecreate(string typeName, string message, Dictionary<string, JsonElement> properties, JsonSerializerOptions options)
    {
        Type? type;
        try
        {
            type = Type.GetType(typeName, throwOnError: false);
        }
        catch (Exception)
        {
            return null;
        }
        if (type is null || !typeof(Exception).IsAssignableFrom(type) || type.IsAbstract)
        {
            return null;
        }

        Exception? best = null;
        var bestBound = -1;
        foreach (var constructor in type.GetConstructors())
        {
            var parameters = constructor.GetParameters();
            var arguments = new object?[parameters.Length];
            var bound = 0;
            var usable = true;
            for (var i = 0; i < parameters.Length && usable; i++)
            {
                var parameter = parameters[i];
                if (parameter.Name is "message" && parameter.ParameterType == typeof(string))
                {
                    arguments[i] = message;
                    bound++;
                }
                else if (parameter.Name is not null && properties.TryGetValue(parameter.Name, out var value))
                {
                    try
                    {
                        arguments[i] = value.Deserialize(parameter.ParameterType, options);
                        bound++;
                    }
                    catch (Exception)
                    {
                        usable = false;
                    }
                }
                else if (typeof(Exception).IsAssignableFrom(parameter.ParameterType) || parameter.HasDefaultValue)
                {
                    arguments[i] = parameter.HasDefaultValue ? parameter.DefaultValue : null;
                }
                else
                {
                    usable = false;
                }
            }
            if (!usable || bound <= bestBound)
            {
                continue;
            }
            try
            {
                best = (Exception)constructor.Invoke(arguments);
                bestBound = bound;
            }
            catch (Exception)
            {
                // This constructor refused the values; another may take them.
            }
        }
        return best;
    }

    private static PropertyInfo[] PropertiesOf(Type type) => PropertiesByType.GetOrAdd(type, static t => t
        .GetProperties(BindingFlags.Instance | BindingFlags.Public)
        .Where(p => p.CanRead && p.GetIndexParameters().Length == 0 && !BaseProperties.Contains(p.Name))
        .ToArray());

    /// <summary>The message without the parts that constructors add again (ArgumentException appends the parameter name).</summary>
    private static string OwnMessage(Exception exception)
    {
        var message = exception.Message;
        if (exception is ArgumentException { ParamName: { } name })
        {
            var suffix = $" (Parameter '{name}')";
            var index = message.IndexOf(suffix, StringComparison.Ordinal);
            if (index >= 0)
            {
                message = message.Remove(index, suffix.Length);
            }
        }
        return message;
    }
}
