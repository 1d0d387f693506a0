from sphinx_archviz import Settings, render

diagram = render(
    "models:CNNModel",
    "cnn.svg",
    input_shape=(1, 1, 64, 64),
    view="modules",
    summary=True,
    settings=Settings(sys_path=["docs"]),
)
print(diagram.path)  # cnn.svg
print(diagram.dot[:40])  # digraph "models:CNNModel" { …
for row in diagram.summary.rows:
    print(row.name, row.type, row.output_shape)
