using Microsoft.CodeAnalysis;

namespace Atlas.Actors.Generators
{
    /// <summary>Build-time errors for grain interfaces and classes the runtime could not call or create.</summary>
    internal static class Diagnostics
    {
        private const string Category = "Atlas.Actors";

        public static readonly DiagnosticDescriptor MethodMustReturnTask = new DiagnosticDescriptor(
            "ATLAS001", "Grain interface method must return a task",
            "Grain interface method {0}.{1} must return Task, Task<T>, ValueTask or ValueTask<T>; it returns {2}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor ByRefParameter = new DiagnosticDescriptor(
            "ATLAS002", "Grain interface method parameters cannot be ref, out or in",
            "Parameter '{2}' of grain interface method {0}.{1} is passed by reference; grain calls copy their arguments",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericMethod = new DiagnosticDescriptor(
            "ATLAS003", "Generic grain interface methods are not supported",
            "Grain interface method {0}.{1} is generic; give it concrete parameter types",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor OneWayMustReturnVoidTask = new DiagnosticDescriptor(
            "ATLAS004", "One-way methods cannot return a value",
            "[OneWay] method {0}.{1} must return Task or ValueTask",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericInterface = new DiagnosticDescriptor(
            "ATLAS005", "Generic grain interfaces are not supported",
            "Grain interface {0} is generic; Atlas grain interfaces must be non-generic",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NonMethodMember = new DiagnosticDescriptor(
            "ATLAS006", "Grain interfaces may only declare methods",
            "Grain interface {0} declares {1}, which is not a method; grain calls are methods returning tasks",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor CancellationTokenParameter = new DiagnosticDescriptor(
            "ATLAS007", "CancellationToken parameters are not supported",
            "Parameter '{2}' of grain interface method {0}.{1} is a CancellationToken; calls are bounded by their response timeout instead",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor BadResponseTimeout = new DiagnosticDescriptor(
            "ATLAS008", "Invalid response timeout",
            "[ResponseTimeout(\"{2}\")] on {0}.{1} is not a positive TimeSpan such as \"00:00:05\"",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor PersistentStateType = new DiagnosticDescriptor(
            "ATLAS010", "Persistent state parameter must be IPersistentState<T>",
            "Constructor parameter '{1}' of grain class {0} has [PersistentState] but its type is {2}, not IPersistentState<T>",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor StateNeedsConstructor = new DiagnosticDescriptor(
            "ATLAS011", "Grain state type needs a public parameterless constructor",
            "State type {2} of parameter '{1}' in grain class {0} needs a public parameterless constructor (it is created when nothing is stored)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor AmbiguousConstructor = new DiagnosticDescriptor(
            "ATLAS012", "Grain class needs exactly one public constructor",
            "Grain class {0} has {1} public constructors; the runtime needs exactly one to create it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericGrainClass = new DiagnosticDescriptor(
            "ATLAS013", "Generic grain classes are not supported",
            "Grain class {0} is generic; Atlas grain classes must be non-generic",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InaccessibleType = new DiagnosticDescriptor(
            "ATLAS014", "Grain type is not accessible",
            "{0} must be public or internal (and not nested in a private type) so generated code can reach it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
