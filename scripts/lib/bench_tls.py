"""What the Python benchmarks share (bench_pg.py, bench_flood.py): a throwaway certificate, the
nginx anchor's configuration over the same TLS 1.3, and wrk's POST script."""
import os
import subprocess


def certificate(work):
    """WORK/cert.pem and WORK/key.pem: a P-256 certificate for localhost, for this run only."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                    f"{work}/key.pem", "-out", f"{work}/cert.pem", "-days", "2", "-subj", "/CN=localhost"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def nginx_config(work, port, answer):
    """WORK/nginx/nginx.conf: TLS 1.3 on 127.0.0.1:PORT with WORK's certificate, answering every
    request with ANSWER (an nginx `return`), no access log. Start it with
    `nginx -p WORK/nginx -c nginx.conf`."""
    os.makedirs(f"{work}/nginx/logs", exist_ok=True)
    open(f"{work}/nginx/nginx.conf", "w").write(f"""worker_processes auto;
pid {work}/nginx/nginx.pid;
error_log {work}/nginx/logs/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx;
    client_max_body_size 32m;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {work}/cert.pem;
        ssl_certificate_key {work}/key.pem;
        ssl_protocols TLSv1.3;
        location / {{ return {answer}; }}
    }}
}}
""")


def post_script(path, envelope_path, headers=()):
    """A wrk Lua script POSTing the envelope file as application/octet-stream, with HEADERS
    ((name, value) pairs) added."""
    extra = "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers)
    # Every request a distinct envelope: its last 8 bytes (inside the sealed box, which the
    # intake cannot check) from /dev/urandom. The intake's submission id is the envelope's digest,
    # so the same bytes posted again would be one row, not a new submission (formats.md §8).
    open(path, "w").write(f'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/octet-stream"\n{extra}'
                          f'local f = io.open("{envelope_path}", "rb")\nlocal body = f:read("*all")\nf:close()\n'
                          f'local prefix = body:sub(1, #body - 8)\nlocal random = io.open("/dev/urandom", "rb")\n'
                          f'request = function() return wrk.format(nil, nil, nil, prefix .. random:read(8)) end\n')
