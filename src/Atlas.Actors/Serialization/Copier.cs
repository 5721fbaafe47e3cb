using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Reflection;
using System.Text.Json;

namespace Atlas.Actors.Serialization;

/// <summary>
/// Isolation between grains of one silo: immutable values are passed as they are, anything else is copied
/// through the serializer (so a local call behaves exactly like a remote one, including its failures).
/// </summary>
internal static class Copier<T>
{
    private static readonly bool DeclaredTypeIsImmutable = Immutability.IsImmutable(typeof(T));

    public static T Copy(T value, JsonSerializerOptions options)
    {
        if (DeclaredTypeIsImmutable || value is null)
        {
            return value;
        }
        var runtimeType = value.GetType();
        if (runtimeType != typeof(T) && Immutability.IsImmutable(runtimeType))
        {
            return value;
        }
        try
        {
            var bytes = JsonSerializer.SerializeToUtf8Bytes(value, options);
            return JsonSerializer.Deserialize<T>(bytes, options)!;
        }
        catch (Exception exception) when (exception is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new GrainSerializationException($"A value of type {runtimeType} cannot be copied between grains: {exception.Message}", exception);
        }
    }
}

/// <summary>Decides, once per type, whether values of a type can be shared between grains without a copy.</summary>
public static class Immutability
{
    private static readonly ConcurrentDictionary<Type, bool> Cache = new();

    private static readonly HashSet<Type> KnownImmutable =
    [
        typeof(string), typeof(decimal), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid),
        typeof(DateOnly), typeof(TimeOnly), typeof(Uri), typeof(Version), typeof(Invocation.NoResult),
    ];

    private static readonly HashSet<Type> ImmutableGenericCollections =
    [
        typeof(ImmutableArray<>), typeof(ImmutableList<>), typeof(ImmutableHashSet<>), typeof(ImmutableDictionary<,>),
        typeof(ImmutableSortedDictionary<,>), typeof(ImmutableSortedSet<>), typeof(ImmutableQueue<>), typeof(ImmutableStack<>),
    ];

    /// <summary>Whether every value of <paramref name="type"/> is deeply immutable.</summary>
    public static bool IsImmutable(Type type) => Cache.TryGetValue(type, out var known) ? known : Cache.GetOrAdd(type, Compute(type, []));

    private static bool Compute(Type type, HashSet<Type> visiting)
    {
        if (type.IsPrimitive || type.IsEnum || KnownImmutable.Contains(type))
        {
            return true;
        }
        if (Cache.TryGetValue(type, out var cached))
        {
            return cached;
        }
        if (type.IsArray || type.IsPointer || type.IsByRef || typeof(Delegate).IsAssignableFrom(type))
        {
            return false;
        }
        if (typeof(IAddressable).IsAssignableFrom(type) && (type.IsInterface || typeof(Invocation.GrainReference).IsAssignableFrom(type)))
        {
            return true;
        }
        if (type.IsGenericType)
        {
            var definition = type.GetGenericTypeDefinition();
            if (definition == typeof(Nullable<>) || ImmutableGenericCollections.Contains(definition))
            {
                return type.GetGenericArguments().All(argument => Compute(argument, visiting));
            }
        }
        if (type.GetCustomAttribute<ImmutableAttribute>(inherit: false) is not null)
        {
            return true;
        }
        if (type.IsInterface || type.IsAbstract || type == typeof(object))
        {
            return false;
        }
        if (!visiting.Add(type))
        {
            return true; // a recursive reference: decided by the rest of the type
        }
        for (var current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType)
        {
            foreach (var field in current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                // Struct fields are copied with the struct; class fields must also be read-only.
                if ((!type.IsValueType && !field.IsInitOnly) || !Compute(field.FieldType, visiting))
                {
                    visiting.Remove(type);
                    return false;
                }
            }
        }
        visiting.Remove(type);
        return true;
    }
}
