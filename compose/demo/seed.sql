-- A few rows to play with; running it again changes nothing.
INSERT INTO products (id, category_id, name, price) VALUES
    (1, 10, 'Desk lamp', 19.90), (2, 10, 'Floor lamp', 89.00), (3, 20, 'Armchair', 249.00)
ON CONFLICT (id) DO NOTHING;
INSERT INTO profiles (user_id, display_name) VALUES (100, 'Ada'), (101, 'Grace')
ON CONFLICT (user_id) DO NOTHING;
INSERT INTO orders (id, user_id, status, total) VALUES (1000, 100, 'new', 19.90)
ON CONFLICT (id) DO NOTHING;
