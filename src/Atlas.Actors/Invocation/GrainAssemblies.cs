using System.Reflection;
using System.Runtime.CompilerServices;

namespace Atlas.Actors.Invocation;

/// <summary>
/// Runs the generated registrations of every loaded assembly that uses Atlas. Module initializers run only when
/// their assembly is first used, so a silo forces them before it looks up grain classes.
/// </summary>
internal static class GrainAssemblies
{
    private static readonly object Lock = new();
    private static readonly HashSet<string> Visited = [];

    public static void EnsureRegistered()
    {
        Reminders.ReminderTickRequest.EnsureRegistered();
        lock (Lock)
        {
            var pending = new Queue<Assembly>(AppDomain.CurrentDomain.GetAssemblies());
            while (pending.TryDequeue(out var assembly))
            {
                if (assembly.IsDynamic || !Visited.Add(assembly.FullName ?? assembly.GetName().Name ?? ""))
                {
                    continue;
                }
                if (IsFramework(assembly))
                {
                    continue;
                }
                if (ReferencesAtlas(assembly))
                {
                    RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);
                }
                foreach (var reference in assembly.GetReferencedAssemblies())
                {
                    try
                    {
                        pending.Enqueue(Assembly.Load(reference));
                    }
                    catch (Exception)
                    {
                        // An optional dependency that is not deployed cannot hold grains we need.
                    }
                }
            }
        }
    }

    public static void EnsureRegistered(Assembly assembly) => RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);

    private static bool IsFramework(Assembly assembly)
    {
        var name = assembly.GetName().Name;
        return name is null || name.StartsWith("System", StringComparison.Ordinal) || name.StartsWith("Microsoft", StringComparison.Ordinal) ||
               name is "netstandard" or "mscorlib" || name.StartsWith("xunit", StringComparison.Ordinal) ||
               name.StartsWith("Npgsql", StringComparison.Ordinal) || name.StartsWith("StackExchange", StringComparison.Ordinal);
    }

    private static bool ReferencesAtlas(Assembly assembly)
    {
        var atlas = typeof(GrainAssemblies).Assembly.GetName().Name;
        return assembly.GetName().Name == atlas || assembly.GetReferencedAssemblies().Any(r => r.Name == atlas);
    }
}
