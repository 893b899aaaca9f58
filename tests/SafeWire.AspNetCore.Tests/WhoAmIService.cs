using System.Text;
using Grpc.Core;

namespace SafeWire.AspNetCore.Tests;

/// <summary>
/// A gRPC service written by hand (no .proto): one unary method that answers with the caller's SafeWire identity.
/// Grpc.AspNetCore binds it through <see cref="BindServiceMethodAttribute"/>, as generated code does.
/// </summary>
[BindServiceMethod(typeof(WhoAmIService), nameof(BindService))]
public class WhoAmIService
{
    private static readonly Marshaller<string> s_utf8 = Marshallers.Create(s => Encoding.UTF8.GetBytes(s), b => Encoding.UTF8.GetString(b));

    public static readonly Method<string, string> WhoAmIMethod = new(MethodType.Unary, "safewire.test.Identity", "WhoAmI", s_utf8, s_utf8);

    public static void BindService(ServiceBinderBase binder, WhoAmIService? service) =>
        binder.AddMethod(WhoAmIMethod, service is null ? null : service.WhoAmI);

    // Virtual, as in generated code: Grpc.AspNetCore binds the method declared on the [BindServiceMethod] type.
    public virtual Task<string> WhoAmI(string request, ServerCallContext context)
    {
        var feature = context.GetHttpContext().Features.Get<ISafeWireConnectionFeature>();
        return Task.FromResult($"{request} {feature?.RemoteIdentity?.Name ?? "(none)"}");
    }
}
