/* test-policy.c: what berth-api's policy refuses, what it allows when the file says so, and how a
 * refusal names the service, the key, the rule and the place. */
#include <errno.h>
#include <stdlib.h>

#include "compose/project.h"
#include "policy/policy.h"
#include "source/source.h"
#include "tap.h"

#define ROOT "/srv/r"
#define DIR  ROOT "/stacks/s"

static Project *load(const char *text)
{
        Source *src = NULL;
        Project *p = NULL;
        BerthError err = { 0 };
        source_memory_new(ROOT, "test", &src);
        source_memory_add(src, "stacks/s/compose.yaml", text, strlen(text));
        EnvMap env;
        envmap_init(&env);
        char *files[] = { DIR "/compose.yaml", NULL };
        ComposeOptions o = { .files = files,
                             .n_files = 1,
                             .project_name = "s",
                             .project_directory = DIR,
                             .cwd = DIR,
                             .os_env = &env,
                             .source = src };
        if (project_load(&o, &p, &err) < 0)
                printf("#   load: %s: %s\n", err.path, err.msg);
        envmap_done(&env);
        source_unref(src);
        return p;
}

/* The violations of text under policy_text (NULL: the default), as "service key rule" lines. */
static char *check(const char *policy_text, const char *text, char *where)
{
        static char out[4096];
        Policy *pol = NULL;
        BerthError err = { 0 };
        out[0] = '\0';
        if (policy_text ? policy_parse(policy_text, strlen(policy_text), "policy.yaml", &pol, &err)
                        : policy_default(&pol)) {
                printf("#   policy: %s\n", err.msg);
                return NULL;
        }
        Project *p = load(text);
        if (!p) {
                policy_free(pol);
                return NULL;
        }
        PolicyViolations v = { 0 };
        policy_check(pol, p, p->dir, &v);
        for (size_t i = 0; i < v.n; i++) {
                size_t n = strlen(out);
                snprintf(out + n, sizeof(out) - n, "%s%s %s %s", i ? "\n" : "", v.items[i].service,
                         v.items[i].key, v.items[i].rule);
                if (i == 0 && where)
                        strcpy(where, v.items[i].where);
        }
        policy_violations_done(&v);
        project_free(p);
        policy_free(pol);
        return out;
}

#define SVC "services:\n  web:\n    image: busybox\n"

TEST(a_plain_stack_passes)
{
        ASSERT_STREQ(check(NULL,
                           SVC "    ports: [\"8080:80\"]\n    volumes: [\"./data:/data\", \"v:/v\"]\n"
                               "volumes:\n  v: {}\n",
                           NULL),
                     "");
}

TEST(privileged_and_namespaces)
{
        char where[320] = "";
        ASSERT_STREQ(check(NULL, SVC "    privileged: true\n", where), "web privileged privileged");
        ASSERT_STREQ(where, "stacks/s/compose.yaml:4:17");
        ASSERT_STREQ(check(NULL, SVC "    network_mode: host\n", NULL), "web network_mode host_network");
        ASSERT_STREQ(check(NULL, SVC "    pid: host\n    ipc: host\n    userns_mode: host\n", NULL),
                     "web pid host_pid\nweb ipc host_ipc\nweb userns_mode host_userns");
        ASSERT_STREQ(check(NULL, SVC "    uts: host\n    cgroup: host\n", NULL),
                     "web uts host_uts\nweb cgroup host_cgroup");
        ASSERT_STREQ(check(NULL, SVC "    network_mode: \"container:other\"\n", NULL),
                     "web network_mode join_containers");
        ASSERT_STREQ(check(NULL, SVC "    volumes_from: [\"container:db\"]\n", NULL),
                     "web volumes_from[0] join_containers");
        /* The host's network joined by name from the top level. */
        ASSERT_STREQ(check(NULL, SVC "networks:\n  h:\n    external: true\n    name: host\n", NULL),
                     " networks.h.name host_network");
}

TEST(capabilities_devices_confinement)
{
        ASSERT_STREQ(check(NULL, SVC "    cap_add: [NET_ADMIN]\n", NULL), "web cap_add[0] cap_add");
        ASSERT_STREQ(check("cap_add: [net_admin]\n", SVC "    cap_add: [CAP_NET_ADMIN, SYS_ADMIN]\n", NULL),
                     "web cap_add[1] cap_add");
        ASSERT_STREQ(check(NULL, SVC "    cap_drop: [ALL]\n", NULL), "");
        ASSERT_STREQ(check(NULL, SVC "    devices: [\"/dev/fuse:/dev/fuse\"]\n", NULL),
                     "web devices devices");
        ASSERT_STREQ(check("devices: true\n", SVC "    devices: [\"/dev/fuse:/dev/fuse\"]\n", NULL), "");
        ASSERT_STREQ(check(NULL,
                           SVC "    security_opt: [\"seccomp=unconfined\", \"no-new-privileges:true\", "
                               "\"apparmor:unconfined\", \"label=disable\", \"systempaths=unconfined\"]\n",
                           NULL),
                     "web security_opt[0] unconfined\nweb security_opt[2] unconfined\n"
                     "web security_opt[3] unconfined\nweb security_opt[4] unconfined");
}

TEST(low_ports)
{
        ASSERT_STREQ(check(NULL, SVC "    ports: [\"80:8080\", \"8443:443\", \"1023:1\"]\n", NULL),
                     "web ports[0].published low_ports\nweb ports[2].published low_ports");
        ASSERT_STREQ(check("low_ports: [80]\n", SVC "    ports: [\"80:8080\", \"443:443\"]\n", NULL),
                     "web ports[1].published low_ports");
        ASSERT_STREQ(check("low_ports: true\n", SVC "    ports: [\"80:8080\", \"443:443\"]\n", NULL), "");
        /* A container port alone publishes nothing on the host's low ports. */
        ASSERT_STREQ(check(NULL, SVC "    ports: [\"80\"]\n", NULL), "");
}

TEST(bind_mounts)
{
        ASSERT_STREQ(check(NULL, SVC "    volumes: [\"/var/run/docker.sock:/var/run/docker.sock\"]\n", NULL),
                     "web volumes[0].source bind_paths");
        ASSERT_STREQ(check(NULL, SVC "    volumes: [\"/:/host\"]\n", NULL),
                     "web volumes[0].source bind_paths");
        ASSERT_STREQ(check(NULL, SVC "    volumes: [\"/srv/media:/media\"]\n", NULL),
                     "web volumes[0].source bind_paths");
        /* Climbing out of the stack's directory is a host path like any other. */
        ASSERT_STREQ(check(NULL, SVC "    volumes: [\"../../../etc:/e\"]\n", NULL),
                     "web volumes[0].source bind_paths");
        ASSERT_STREQ(check("bind_paths: [/srv/media]\n", SVC "    volumes: [\"/srv/media/films:/media\"]\n",
                           NULL),
                     "");
        /* A prefix is a directory, not a string: /srv/media does not allow /srv/mediafiles. */
        ASSERT_STREQ(
                check("bind_paths: [/srv/media]\n", SVC "    volumes: [\"/srv/mediafiles:/m\"]\n", NULL),
                "web volumes[0].source bind_paths");
        /* Allowing / or /var does not hand over the engine: its socket must be listed exactly. */
        ASSERT_STREQ(check("bind_paths: [/]\n",
                           SVC "    volumes: [\"/var/run/docker.sock:/s\", \"/etc:/e\"]\n", NULL),
                     "web volumes[0].source bind_paths");
        ASSERT_STREQ(
                check("bind_paths: [/var]\n", SVC "    volumes: [\"/var/run:/r\", \"/var/log:/l\"]\n", NULL),
                "web volumes[0].source bind_paths");
        ASSERT_STREQ(check("bind_paths: [/var/run/docker.sock]\n",
                           SVC "    volumes: [\"/var/run/docker.sock:/s\"]\n", NULL),
                     "");
        /* A named volume that is a bind mount in disguise, and a build context on the host. */
        ASSERT_STREQ(check(NULL,
                           SVC
                           "    volumes: [\"v:/v\"]\nvolumes:\n  v:\n    driver_opts: {type: none, o: bind, "
                           "device: /etc}\n",
                           NULL),
                     " volumes.v.driver_opts.device bind_paths");
        ASSERT_STREQ(check(NULL, "services:\n  web:\n    build:\n      context: /etc\n      network: host\n",
                           NULL),
                     "web build.network host_network\nweb build.context bind_paths");
}

/* A named volume of the local driver mounts what its device names on the host: a disk, an overlay of
 * host directories, a network share. Each is a host path; a volume with no driver_opts is the engine's. */
TEST(volumes_that_mount_host_storage)
{
#define VOL SVC "    volumes: [\"v:/v\"]\nvolumes:\n  v:\n"
        ASSERT_STREQ(check(NULL, VOL "    driver_opts: {type: ext4, device: /dev/sda1}\n", NULL),
                     " volumes.v.driver_opts.device bind_paths");
        ASSERT_STREQ(check(NULL,
                           VOL "    driver_opts: {type: overlay, device: overlay, "
                               "o: \"lowerdir=/etc:/usr,upperdir=/srv/up,workdir=/srv/work\"}\n",
                           NULL),
                     " volumes.v.driver_opts.o bind_paths\n volumes.v.driver_opts.o bind_paths\n"
                     " volumes.v.driver_opts.o bind_paths\n volumes.v.driver_opts.o bind_paths");
        ASSERT_STREQ(check("bind_paths: [/srv/overlay]\n",
                           VOL
                           "    driver_opts: {type: overlay, device: overlay, o: \"lowerdir=/srv/overlay/a,"
                           "upperdir=/srv/overlay/u,workdir=/srv/overlay/w\"}\n",
                           NULL),
                     "");
        ASSERT_STREQ(check(NULL,
                           VOL
                           "    driver_opts: {type: nfs, o: \"addr=10.0.0.1,rw\", device: \":/export\"}\n",
                           NULL),
                     " volumes.v.driver_opts.device bind_paths");
        ASSERT_STREQ(check(NULL, VOL "    driver_opts: {type: cifs, device: //server/share}\n", NULL),
                     " volumes.v.driver_opts.device bind_paths");
        /* Allowed where the policy lists the path, and a plain volume needs nothing. */
        ASSERT_STREQ(check("bind_paths: [/dev/sdb1]\n",
                           VOL "    driver_opts: {type: ext4, device: /dev/sdb1}\n", NULL),
                     "");
        ASSERT_STREQ(check(NULL, VOL "    labels: {a: b}\n", NULL), "");
#undef VOL
}

TEST(policy_file_errors)
{
        Policy *pol = NULL;
        BerthError err = { 0 };
        ASSERT_EQ(policy_parse("privileged: yes please\n", 22, "policy.yaml", &pol, &err), -EINVAL);
        ASSERT_CONTAINS(err.msg, "must be true or false");
        ASSERT_EQ(err.line, 1);
        err = (BerthError){ 0 };
        ASSERT_EQ(policy_parse("low_ports: [80]\nprivilged: true\n", 32, "policy.yaml", &pol, &err),
                  -EINVAL);
        ASSERT_CONTAINS(err.msg, "unknown rule \"privilged\"");
        ASSERT_EQ(err.line, 2);
        err = (BerthError){ 0 };
        ASSERT_EQ(policy_parse("bind_paths: [srv]\n", 18, "policy.yaml", &pol, &err), -EINVAL);
        ASSERT_CONTAINS(err.msg, "not an absolute path");
        err = (BerthError){ 0 };
        ASSERT_EQ(policy_parse("low_ports: [8080]\n", 18, "policy.yaml", &pol, &err), -EINVAL);
        ASSERT_CONTAINS(err.msg, "from 1 to 1023");
        ASSERT_TRUE(pol == NULL);
        ASSERT_OK(policy_parse("", 0, "policy.yaml", &pol, &err));
        policy_free(pol);
}

TAP_MAIN()
