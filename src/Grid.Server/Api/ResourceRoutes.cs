namespace Grid.Server.Api;

/// <summary>The five routes of a Lambda-style resource: create and list on the collection, get, update and delete on one item.</summary>
public static class ResourceRoutes
{
    /// <summary>
    /// Maps POST and GET <paramref name="collection"/>, and GET, PUT and DELETE <paramref name="collection"/>/{<paramref name="item"/>}.
    /// Routing matches a trailing slash too (".../event-source-mappings/", what some clients send).
    /// </summary>
    public static void MapResource(this IEndpointRouteBuilder app, string collection, string item,
        Delegate create, Delegate list, Delegate get, Delegate update, Delegate delete)
    {
        var one = $"{collection}/{{{item}}}";
        app.MapPost(collection, create);
        app.MapGet(collection, list);
        app.MapGet(one, get);
        app.MapPut(one, update);
        app.MapDelete(one, delete);
    }
}
