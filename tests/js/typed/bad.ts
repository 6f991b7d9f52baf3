// Deliberate mistakes: each line marked MISTAKE must fail to compile, and nothing else may.
import createClient from "openapi-fetch";
import type { paths } from "./api";

const client = createClient<paths>({ baseUrl: "http://127.0.0.1:1" });

export async function mistakes(): Promise<void> {
  const { data } = await client.GET("/api/collections/posts/records/{id}", { params: { path: { id: "x" } } });
  if (!data) return;
  const misspelled = data.titel; // MISTAKE: misspelled field
  await client.POST("/api/collections/posts/records", { body: { views: 1 } }); // MISTAKE: required title missing
  await client.POST("/api/collections/posts/records", { body: { title: "t", status: "published" } }); // MISTAKE: not a select value
  await client.POST("/api/collections/posts/records", { body: { title: "t", views: "3" } }); // MISTAKE: a number as a string
  console.log(misspelled);
}
