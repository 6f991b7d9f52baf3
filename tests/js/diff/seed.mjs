// The schema and data both servers get, through the same SDK calls. Record ids are fixed so
// that responses can be compared directly.
export const users = [
  { id: "user00000000001", email: "alice@example.com", name: "Alice", emailVisibility: true },
  { id: "user00000000002", email: "bob@example.com", name: "Bob", emailVisibility: false },
  { id: "user00000000003", email: "carol@example.com", name: "carol", emailVisibility: true },
];
export const PASSWORD = "password123";

export const collections = [
  {
    name: "posts", type: "base", listRule: "", viewRule: "", createRule: "@request.auth.id != ''",
    updateRule: "author = @request.auth.id", deleteRule: "author = @request.auth.id",
    fields: [
      { name: "title", type: "text" },
      { name: "views", type: "number" },
      { name: "published", type: "bool" },
      { name: "tags", type: "select", values: ["a", "b", "c"], maxSelect: 3 },
      { name: "category", type: "select", values: ["news", "blog"], maxSelect: 1 },
      { name: "author", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
      { name: "editors", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 5 },
      { name: "meta", type: "json" },
      { name: "when", type: "date" },
      { name: "loc", type: "geoPoint" },
      { name: "site", type: "url" },
      { name: "secret", type: "text", hidden: true },
      { name: "created", type: "autodate", onCreate: true, onUpdate: false },
      { name: "updated", type: "autodate", onCreate: true, onUpdate: true },
    ],
  },
  {
    name: "comments", type: "base", listRule: "", viewRule: "",
    fields: [
      { name: "body", type: "text" },
      { name: "post", type: "relation", collectionId: "pbc_1125843985", maxSelect: 1 },
      { name: "user", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
      { name: "likes", type: "number" },
    ],
  },
  {
    name: "notes", type: "base", listRule: "owner = @request.auth.id", viewRule: "owner = @request.auth.id",
    fields: [
      { name: "text", type: "text" },
      { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
    ],
  },
  {
    name: "tasks", type: "base",
    listRule: "@request.auth.id != '' && (owner = @request.auth.id || @request.auth.name = 'carol')",
    viewRule: "@request.auth.collectionName = 'users' && owner.id != ''",
    createRule: "@request.auth.id != '' && owner = @request.auth.id && @request.body.priority:isset = true && @request.body.tags:length <= 2",
    updateRule: "owner = @request.auth.id && @request.body.owner:changed = false && (@request.body.status:isset = false || @request.body.status != 'archived')",
    deleteRule: "owner = @request.auth.id && status = 'done' && @request.query.confirm = 'yes'",
    fields: [
      { name: "title", type: "text" },
      { name: "owner", type: "relation", collectionId: "_pb_users_auth_", maxSelect: 1 },
      { name: "status", type: "select", values: ["open", "done", "archived"], maxSelect: 1 },
      { name: "priority", type: "number" },
      { name: "tags", type: "select", values: ["x", "y", "z"], maxSelect: 3 },
    ],
  },
  {
    name: "hidden_posts", type: "base", listRule: null, viewRule: null,
    fields: [{ name: "title", type: "text" }],
  },
];

const U1 = "user00000000001", U2 = "user00000000002", U3 = "user00000000003";
export const records = {
  posts: [
    { id: "post00000000001", title: "Hello world", views: 10, published: true, tags: ["a", "b"], category: "news", author: U1, editors: [U1, U2], meta: { a: 1, b: { c: "x" } }, when: "2024-01-01 10:00:00.000Z", loc: { lon: 10, lat: 20 }, site: "https://example.com", secret: "s1" },
    { id: "post00000000002", title: "Second post", views: 30, published: false, tags: ["b"], category: "blog", author: U2, editors: [U2], meta: { a: 2 }, when: "2025-06-01 12:30:00.000Z", loc: { lon: 10.5, lat: 20.5 }, secret: "s2" },
    { id: "post00000000003", title: "Third post", views: 0, published: false, tags: [], author: "", editors: [], meta: null, when: "" },
    { id: "post00000000004", title: "fourth_100%", views: 5.5, published: true, tags: ["c"], category: "news", author: U1, editors: [U3], meta: { arr: [1, 2, 3] }, when: "2023-12-31 23:59:59.999Z" },
    { id: "post00000000005", title: "UPPER lower", views: -3, published: true, tags: ["a", "c"], author: U3, editors: [U1], meta: { a: "1" }, site: "http://other.org" },
    { id: "post00000000006", title: "", views: 30, published: true, tags: ["a"], category: "blog", author: U2, editors: [U1, U3] },
    { id: "post00000000007", title: "it's \"quoted\" \\ back", views: 7, published: false, tags: ["b", "c"], author: U3, editors: [] },
  ],
  comments: [
    { id: "comm00000000001", body: "nice", post: "post00000000001", user: U2, likes: 3 },
    { id: "comm00000000002", body: "meh", post: "post00000000001", user: U3, likes: 0 },
    { id: "comm00000000003", body: "ok", post: "post00000000002", user: U1, likes: 10 },
    { id: "comm00000000004", body: "orphan", post: "", user: U1, likes: 1 },
  ],
  notes: [
    { id: "note00000000001", text: "alice note", owner: U1 },
    { id: "note00000000002", text: "bob note", owner: U2 },
  ],
  hidden_posts: [{ id: "hidd00000000001", title: "top secret" }],
  tasks: [
    { id: "task00000000001", title: "t1", owner: U1, status: "open", priority: 1 },
    { id: "task00000000002", title: "t2", owner: U2, status: "done", priority: 2 },
  ],
};

/// Creates the schema and the records through `pb` (a superuser-authenticated SDK client).
export async function seed(pb) {
  for (const u of users) {
    await pb.collection("users").create({ ...u, password: PASSWORD, passwordConfirm: PASSWORD });
  }
  for (const c of collections) await pb.collections.create(c);
  for (const [name, list] of Object.entries(records)) {
    for (const r of list) await pb.collection(name).create(r);
  }
}
