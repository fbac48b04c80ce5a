/* Fuzz target: the KubeletConfiguration loader (YAML/JSON edge, decode
 * tables, kubelet's file defaulting and cross-field validation). */
#include <stdint.h>
#include <stdlib.h>

#include "agent/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (size > (1u << 20))
                return 0;
        struct agent_config cfg = { 0 };
        struct dh_err *err = NULL;
        if (agent_config_init(&cfg, &err) == 0 &&
            agent_config_load_buffer("fuzz.yaml", (const char *)data, size, "/etc/deckhand", &cfg, &err) == 0)
                (void)agent_config_validate(&cfg, &err);
        dh_err_free(err);
        agent_config_free(&cfg);
        return 0;
}
