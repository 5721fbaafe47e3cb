using System.Reflection;
using Atlas.Grains.Common;
using Atlas.Grains.Fares;
using Atlas.Grains.Rides;

namespace Atlas.Grains.Tests.Domain;

using Atlas.Grains.Monetary;

/// <summary>
/// The actor runtime recreates exceptions in another process by matching public constructor parameter names to
/// property names (ignoring case), so every domain exception must be rebuildable from its own properties.
/// </summary>
public class DomainExceptionShapeTests
{
    private static readonly Type[] ExceptionTypes = typeof(DomainException).Assembly
        .GetTypes()
        .Where(t => typeof(Exception).IsAssignableFrom(t) && !t.IsAbstract)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    public static TheoryData<string> ExceptionTypeNames() => new(ExceptionTypes.Select(t => t.FullName!));

    [Fact]
    public void Every_exception_of_the_domain_is_a_domain_exception()
    {
        Assert.Contains(typeof(IllegalRideTransitionException), ExceptionTypes);
        Assert.All(ExceptionTypes, t => Assert.True(t.IsSubclassOf(typeof(DomainException)), t.Name));
    }

    [Theory]
    [MemberData(nameof(ExceptionTypeNames))]
    public void Every_exception_can_be_recreated_from_its_properties(string typeName)
    {
        var type = ExceptionTypes.Single(t => t.FullName == typeName);
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly);
        Assert.NotEmpty(properties);

        var constructor = Assert.Single(
            type.GetConstructors(),
            c => c.GetParameters().Length == properties.Length
                && c.GetParameters().All(p => properties.Any(
                    prop => string.Equals(prop.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                        && prop.PropertyType == p.ParameterType)));

        var arguments = constructor.GetParameters().Select(p => SampleValue(p.ParameterType)).ToArray();
        var original = (Exception)constructor.Invoke(arguments);

        var recreated = (Exception)constructor.Invoke(constructor.GetParameters()
            .Select(p => properties.Single(prop => string.Equals(prop.Name, p.Name, StringComparison.OrdinalIgnoreCase)).GetValue(original))
            .ToArray());

        foreach (var property in properties)
        {
            Assert.Equal(property.GetValue(original), property.GetValue(recreated));
        }

        Assert.False(string.IsNullOrWhiteSpace(original.Message));
        Assert.Equal(original.Message, recreated.Message);
    }

    private static object SampleValue(Type type)
    {
        if (type == typeof(string))
        {
            return "sample";
        }

        if (type == typeof(Currency))
        {
            return Currency.Gbp;
        }

        if (type == typeof(Money))
        {
            return new Money(1234, Currency.Gbp);
        }

        if (type == typeof(DateTimeOffset))
        {
            return new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
        }

        if (type.IsEnum)
        {
            // The last value, so a default-valued property cannot pass by accident.
            return Enum.GetValues(type).Cast<object>().Last();
        }

        throw new InvalidOperationException($"Add a sample value for {type} to this test.");
    }
}
