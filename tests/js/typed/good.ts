// Compiled with `tsc --strict` against the client generated from a live Croft's document, then
// run against that server: what the types promise must be what the server answers.
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Post = components["schemas"]["PostsRecord"];
// Node's globals, without @types/node.
declare const process: { argv: string[]; exit(code: number): never };

const [baseUrl, token] = process.argv.slice(2);
const client = createClient<paths>({ baseUrl, headers: { Authorization: token } });

function must<T>(answer: { data?: T; error?: unknown }): T {
  if (answer.data === undefined) throw new Error(JSON.stringify(answer.error));
  return answer.data;
}

async function main(): Promise<void> {
  const author = must(await client.POST("/api/collections/authors/records", { body: { name: "Ada" } }));
  const created: Post = must(
    await client.POST("/api/collections/posts/records", {
      body: { title: "Hello", views: 3, status: "live", tags: ["a", "b"], author: author.id, location: { lon: 13.4, lat: 52.5 } },
    }),
  );
  // Required in the answer: read without `!` or `??`.
  const id: string = created.id;
  const title: string = created.title;
  const views: number = created.views;
  const status: "draft" | "live" | "" = created.status;
  const tags: ("a" | "b" | "c")[] = created.tags;
  const published: boolean = created.published;
  const lat: number = created.location.lat;

  const list = must(
    await client.GET("/api/collections/posts/records", { params: { query: { expand: "author", sort: "-created" } } }),
  );
  const total: number = list.totalItems;
  const authorName: string | undefined = list.items[0]?.expand?.author?.name;

  const back = must(
    await client.GET("/api/collections/authors/records/{id}", {
      params: { path: { id: author.id }, query: { expand: "posts_via_author" } },
    }),
  );
  const titles: string[] = back.expand?.posts_via_author?.map((p) => p.title) ?? [];

  const updated = must(
    await client.PATCH("/api/collections/posts/records/{id}", { params: { path: { id } }, body: { views: 4 } }),
  );
  console.log(JSON.stringify({ title, views, status, tags, published, lat, total, authorName, titles, updatedViews: updated.views }));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
